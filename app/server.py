"""Running the app for real: migrations, then gunicorn with the app preloaded."""

from __future__ import annotations

from flask import Flask


def upgrade_database() -> None:
    """Apply every pending migration (inside an app context)."""
    from flask_migrate import upgrade

    upgrade()


def run_gunicorn(app: Flask, *, host: str, port: int, workers: int, with_worker: bool = True) -> None:
    from gunicorn.app.base import BaseApplication

    from app.extensions import db

    class Server(BaseApplication):
        def load_config(self):
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": 8,  # gthread: MCP calls and slow clients do not block a whole worker
                "worker_class": "gthread",
                "preload_app": True,
                "timeout": 60,
                "graceful_timeout": 20,
                "accesslog": "-",
                "post_fork": _post_fork,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    def _post_fork(server, worker):
        # Connections opened in the master must not be shared by forked workers.
        with app.app_context():
            db.engine.dispose(close=False)

    with app.app_context():
        db.engine.dispose()
    Server().run()
