"""The Flask view at `/api/mcp`: authenticate, check the tool's scope, hand off to the SDK.

Authentication and scope are settled here, before the SDK sees the request, so the
answers are proper HTTP 401/403s with `WWW-Authenticate` (what OAuth clients need to
discover, sign in and step up). The body is read once, inspected, and fed back for
the SDK; the actor travels in the WSGI environ.
"""

from __future__ import annotations

import io
import json

from flask import Blueprint, Flask, Response, current_app, request

from app.auth.resolve import header_actor
from app.errors import AppError, Unauthorized
from app.tools.mcp import ENVIRON_ACTOR, MCP_PATH, McpBridge
from app.tools.registry import ToolRegistry

# JSON-RPC error codes for refusals at the HTTP layer (clear of the SDK's own codes).
RPC_INSUFFICIENT_SCOPE = -32003
RPC_UNAUTHORIZED = -32004


def resource_metadata_url() -> str:
    return current_app.config["BASE_URL"] + "/.well-known/oauth-protected-resource" + MCP_PATH


def rpc_error(status: int, rpc_id, rpc_code: int, err: AppError, www_authenticate: str) -> Response:
    data = {"code": err.code, **err.details}
    body = {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": rpc_code, "message": err.message, "data": data}}
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    resp.headers["WWW-Authenticate"] = www_authenticate
    return resp


def messages(body: bytes) -> list[dict]:
    """The JSON-RPC messages in a body (one, or a batch from old clients); [] if unreadable."""
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return []
    items = payload if isinstance(payload, list) else [payload]
    return [m for m in items if isinstance(m, dict)]


def unauthorized(rpc_id, err: Unauthorized | None) -> Response:
    # Both scopes: hosted clients request exactly the challenged scopes and most cannot step up later.
    header = f'Bearer resource_metadata="{resource_metadata_url()}", scope="mcp:read mcp:write"'
    if err is not None:
        header = (f'Bearer error="invalid_token", resource_metadata="{resource_metadata_url()}", '
                  f'scope="mcp:read mcp:write"')
    err = err or Unauthorized("Send an MCP key in the x-api-key header, or an OAuth access token.")
    return rpc_error(401, rpc_id, RPC_UNAUTHORIZED, err, header)


def scope_refusal(registry: ToolRegistry, actor, msgs: list[dict]) -> Response | None:
    for msg in msgs:
        if msg.get("method") != "tools/call":
            continue
        name = (msg.get("params") or {}).get("name") if isinstance(msg.get("params"), dict) else None
        action = registry.get_tool(name) if isinstance(name, str) else None
        if action is None or not action.exposed_on_mcp or actor.has_scope(action.scope):
            continue
        err = AppError(f"The tool {name} needs the {action.scope} scope; this credential has "
                       f"{' '.join(sorted(actor.scopes)) or 'none'}.", code="insufficient_scope", status=403,
                       details={"scope": action.scope})
        header = (f'Bearer error="insufficient_scope", scope="mcp:read mcp:write", '
                  f'resource_metadata="{resource_metadata_url()}"')
        return rpc_error(403, msg.get("id"), RPC_INSUFFICIENT_SCOPE, err, header)
    return None


def register_mcp(app: Flask, registry: ToolRegistry) -> None:
    bridge = McpBridge(app, registry)
    app.extensions["minapi.mcp"] = bridge
    bp = Blueprint("mcp", __name__)

    @bp.route(MCP_PATH, methods=["GET", "POST", "DELETE"])
    def mcp_endpoint():
        if request.method != "POST":
            # Stateless: no standalone SSE stream to GET and no session to DELETE.
            err = AppError("Use POST: this MCP server is stateless (Streamable HTTP).",
                           code="method_not_allowed", status=405)
            return Response(json.dumps(err.to_dict()), status=405, mimetype="application/json",
                            headers={"Allow": "POST"})
        body = request.get_data(cache=True)
        msgs = messages(body)
        first_id = msgs[0].get("id") if msgs else None
        try:
            actor = header_actor()
        except Unauthorized as err:
            return unauthorized(first_id, err)
        if actor is None:
            return unauthorized(first_id, None)
        refusal = scope_refusal(registry, actor, msgs)
        if refusal is not None:
            return refusal
        request.environ["wsgi.input"] = io.BytesIO(body)
        request.environ["CONTENT_LENGTH"] = str(len(body))
        request.environ[ENVIRON_ACTOR] = actor
        return bridge.wsgi_app()

    app.register_blueprint(bp)
    app.wsgi_app = TrailingSlash(app.wsgi_app)


class TrailingSlash:
    """WSGI layer: `/api/mcp/` is served exactly like `/api/mcp` (credentials, OAuth audience, CORS, SDK),
    so it is rewritten before Flask sees the request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == MCP_PATH + "/":
            environ["PATH_INFO"] = MCP_PATH
        return self.wsgi_app(environ, start_response)
