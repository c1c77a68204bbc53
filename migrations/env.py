"""Alembic environment: runs migrations against the app's engine and metadata.

Batch mode makes ALTERs work on SQLite; our own column types are rendered as
plain SQLAlchemy types so migration scripts import nothing from the app.
"""

import logging

from alembic import context
from flask import current_app

from app.db import UTCDateTime
from app.search import include_object

config = context.config
logging.getLogger("alembic").setLevel(logging.INFO)
db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def skip_empty(ctx, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logging.getLogger("alembic").info("No changes in schema detected.")


def run_online():
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty)
    options.update(render_as_batch=True, compare_type=True, render_item=render_item,
                   include_object=include_object)
    with db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=str(db.engine.url), target_metadata=db.metadata, literal_binds=True,
                      render_as_batch=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
