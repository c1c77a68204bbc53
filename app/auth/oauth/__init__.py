"""OAuth 2.1 for MCP connectors (Claude.ai, ChatGPT), device login and the mcp-exchange.

`init_app(app)` wires it all: the Authlib server, its views and the device views, the
bearer resolver for `/api/mcp`, CORS for the endpoints browsers and hosted connectors
call, the authorization server named in the protected-resource metadata, and the
"Connected AI clients" section of `/settings/ai`.
"""

from __future__ import annotations

from flask import Flask

CORS_PATHS = (r"/.well-known/*", "/oauth/token", "/oauth/register", "/oauth/revoke",
              "/oauth/device_authorization", "/api/mcp")
CORS_ALLOW_HEADERS = ["Authorization", "Content-Type", "x-api-key", "MCP-Protocol-Version", "Mcp-Method",
                      "Mcp-Name", "Mcp-Session-Id", "Last-Event-ID"]
CORS_EXPOSE_HEADERS = ["WWW-Authenticate", "Mcp-Session-Id", "MCP-Protocol-Version"]


def init_app(app: Flask) -> None:
    from flask_cors import CORS

    from app.auth.oauth import models  # noqa: F401  (tables on the metadata)
    from app.auth.oauth.device_views import bp as device_bp
    from app.auth.oauth.server import build_server
    from app.auth.oauth.tokens import resolve
    from app.auth.oauth.views import bp as oauth_bp
    from app.auth.resolve import add_resolver

    app.extensions["minapi.oauth_server"] = build_server(app)
    app.extensions["minapi.authorization_servers"] = [app.config["BASE_URL"]]
    add_resolver(app, "bearer", resolve)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(device_bp)
    # Tokens, not cookies, authenticate these endpoints, so any origin may call them.
    CORS(app, resources={path: {} for path in CORS_PATHS}, origins="*", allow_headers=CORS_ALLOW_HEADERS,
         expose_headers=CORS_EXPOSE_HEADERS, methods=["GET", "POST", "DELETE", "OPTIONS"],
         supports_credentials=False, max_age=86400)
    app.extensions.setdefault("minapi.settings_ai_sections", []).append("settings/_oauth_clients.html")

    @app.template_global()
    def connected_ai_clients():
        from app.auth.actor import session_actor
        from app.auth.oauth.connections import list_for

        actor = session_actor()
        return list_for(actor.account_id) if actor else []
