"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from functools import cached_property

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base

db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()


class Migrations:
    """What Flask-Migrate reads from `app.extensions["migrate"]`, set without importing it: Flask-Migrate
    brings Alembic, a sixth of a command's start-up, and only `minapi db …`, `serve` and the tests
    migrate. Its `Migrate` is made when a migration first asks for it (the `db` command group
    itself is registered by `app.cli`)."""

    configure_args = {"compare_type": True, "render_as_batch": True}  # Flask-Migrate's defaults

    def __init__(self, database, directory: str):
        self.db, self.directory = database, directory

    @cached_property
    def migrate(self):
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self):
        return self.db.metadata
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
