"""minapi: a self-hosted no-code JSON API builder with a built-in MCP server.

`create_app` is the only way to get an application; nothing runs at import time.
"""

from __future__ import annotations

import os

from flask import Flask

from app import config as config_module
from app.config import ConfigError
from app.tools.plugins import PluginError

__all__ = ["create_app", "ConfigError", "PluginError", "StartupError"]

StartupError = (ConfigError, PluginError)
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, models, plugins, routes, CLI."""
    app = Flask(__name__, instance_path=config_module.instance_path_from(config),
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    config_module.load(app, config)
    from app.body import StrictJSONProvider, refuse_unstorable_text

    app.json = StrictJSONProvider(app)  # request.get_json() reads strictly, like every body (SPEC §2)
    app.before_request(refuse_unstorable_text)
    app.json.sort_keys = False  # answers keep the order their schemas give
    register_extensions(app)
    register_plugins(app)
    register_blueprints(app)
    register_commands(app)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind `TRUSTED_PROXIES` reverse proxies, see the client's address, scheme and host.

    Outermost, so that everything (per-IP limits, logs, the data plane, the MCP Host check)
    sees the forwarded values; with 0, forwarded headers are ignored.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every core table on the metadata before migrations)
    from app.extensions import Migrations, csrf, db, limiter

    db.init_app(app)
    from app import writer

    writer.install(app)
    from app.activity import record

    record.install(app)
    app.extensions["migrate"] = Migrations(db, MIGRATIONS_DIR)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)

    from app.auth import mcp_keys
    from app.auth.resolve import add_resolver

    add_resolver(app, "api_key", mcp_keys.resolve)


def register_plugins(app: Flask) -> None:
    from app.tools.plugins import build_job_registry, build_manager, build_registry

    pm = build_manager(app.config["PLUGINS"])
    app.extensions["minapi.plugins"] = pm
    app.extensions["minapi.tools"] = build_registry(pm)
    app.extensions["minapi.jobs"] = build_job_registry(pm)


def register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.auth.metadata import bp as wellknown_bp
    from app.auth.views import bp as settings_bp
    from app.gateway import views as gateway_views
    from app.tools.mcp_view import register_mcp
    from app.tools.rest import register_routes

    app.register_blueprint(accounts_bp)
    app.register_blueprint(wellknown_bp)
    app.register_blueprint(settings_bp)
    register_routes(app, app.extensions["minapi.tools"])
    register_mcp(app, app.extensions["minapi.tools"])
    gateway_views.install(app)  # outermost: every request, MCP's included, passes its layer first
    from app.auth import oauth

    oauth.init_app(app)
    from app import dashboard

    dashboard.register(app)
    app.extensions["minapi.plugins"].hook.register_blueprints(app=app)
    from app import ops

    ops.register(app)  # last: its request counter wraps everything else

    app.extensions.setdefault("minapi.dashboard_links", []).append(
        {"url": "/settings/ai", "label": "AI integration: MCP keys and connected clients"})

    @app.context_processor
    def dashboard_links():
        return {"dashboard_links": app.extensions.get("minapi.dashboard_links", [])}


def register_commands(app: Flask) -> None:
    from app.cli import register as register_cli

    register_cli(app)
    app.extensions["minapi.plugins"].hook.register_commands(cli=app.cli)
