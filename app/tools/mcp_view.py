"""`/api/mcp`: authenticate, check the tool's scope, hand off to the SDK.

`answer` does it, for two lanes: `McpEdge`, a WSGI layer ahead of Flask's dispatch that serves
plain POSTs (SDK clients, hosted connectors) without Flask's per-request hooks, and the Flask
view, which serves the rest (browsers' requests get CORS there).

Authentication and scope are settled here, before the SDK sees the request, so the
answers are proper HTTP 401/403s with `WWW-Authenticate` (what OAuth clients need to
discover, sign in and step up). The body is read once, inspected, and fed back for
the SDK; the actor travels in the WSGI environ.
"""

from __future__ import annotations

import io
import json
import logging
import sys

from flask import Blueprint, Flask, Response, current_app, request
from flask.ctx import RequestContext

from app.activity import record as activity
from app.auth.resolve import header_actor
from app.body import MAX_DEPTH, parse, read_raw
from app.errors import AppError, Unauthorized
from app.tools.registry import ToolRegistry

log = logging.getLogger(__name__)
MCP_PATH = "/api/mcp"
ENVIRON_ACTOR = "minapi.actor"

# JSON-RPC error codes for refusals at the HTTP layer (clear of the SDK's own codes).
RPC_INSUFFICIENT_SCOPE = -32003
RPC_UNAUTHORIZED = -32004
RPC_PARSE_ERROR = -32700
ENVELOPE_DEPTH = 4  # a batch, the message, params, arguments: the arguments themselves get MAX_DEPTH


def resource_metadata_url() -> str:
    return current_app.config["BASE_URL"] + "/.well-known/oauth-protected-resource" + MCP_PATH


def rpc_error(status: int, rpc_id, rpc_code: int, err: AppError, www_authenticate: str) -> Response:
    data = {"code": err.code, **err.details}
    body = {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": rpc_code, "message": err.message, "data": data}}
    resp = Response(json.dumps(body), status=status, mimetype="application/json")
    resp.headers["WWW-Authenticate"] = www_authenticate
    return resp


def messages(body: bytes) -> list[dict]:
    """The JSON-RPC messages in a body (one, or a batch from old clients); raises AppError when the
    body is not JSON we accept (body.parse's rules; NUL and surrogates in strings are left to the
    tools, which answer them with a validation_failed result)."""
    payload = parse(body, max_depth=MAX_DEPTH + ENVELOPE_DEPTH, check_strings=False) if body.strip() else None
    items = payload if isinstance(payload, list) else [payload]
    return [m for m in items if isinstance(m, dict)]


def parse_error(err: AppError) -> Response:
    """JSON-RPC's answer to a body it cannot take (-32700), with our error code in `data`."""
    body = {"jsonrpc": "2.0", "id": None,
            "error": {"code": RPC_PARSE_ERROR, "message": err.message, "data": {"code": err.code, **err.details}}}
    return Response(json.dumps(body), status=err.status, mimetype="application/json")


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
        arguments = msg["params"].get("arguments")
        activity.refused(action, actor, arguments if isinstance(arguments, dict) else {}, activity.MCP, err)
        return rpc_error(403, msg.get("id"), RPC_INSUFFICIENT_SCOPE, err, header)
    return None


TRANSPORT_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                   406: "not_acceptable", 415: "unsupported_media_type", 421: "misdirected_request"}


def json_errors(sdk_app):
    """The SDK answers a few transport refusals (a wrong Content-Type or Accept, a foreign Host or
    Origin) in plain text; they leave as JSON-RPC errors in JSON with the SDK's message and our
    error code, like every other answer. Successes and streams pass through untouched."""

    def wsgi(environ, start_response):
        held = {}

        def capture(status, headers, exc_info=None):
            ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
            if int(status[:3]) >= 400 and not ctype.startswith("application/json"):
                held.update(status=status, headers=headers)
                return lambda data: held.setdefault("chunks", []).append(data)
            return start_response(status, headers, exc_info)

        result = sdk_app(environ, capture)
        try:
            for chunk in result:
                if held:
                    held.setdefault("chunks", []).append(chunk)
                else:
                    yield chunk
        finally:
            getattr(result, "close", lambda: None)()
        if held:
            status = int(held["status"][:3])
            message = b"".join(held.get("chunks", [])).decode("utf-8", "replace").strip()[:200]
            body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                "code": -32600, "message": message or held["status"],
                "data": {"code": TRANSPORT_CODES.get(status, "bad_request")}}}).encode()
            headers = [(k, v) for k, v in held["headers"] if k.lower() not in ("content-type", "content-length")]
            start_response(held["status"], headers + [("Content-Type", "application/json"),
                                                      ("Content-Length", str(len(body)))])
            yield body

    return wsgi


class LazyBridge:
    """The SDK bridge, imported and built on the first MCP request, so that commands which do not
    serve (`minapi --help`, `users`, `tools list`…) never import the MCP SDK."""

    def __init__(self, app: Flask, registry: ToolRegistry):
        self.app, self.registry, self._bridge = app, registry, None

    def preload(self):
        """Import the SDK and build its server now (servers call this before forking workers)."""
        if self._bridge is None:
            from app.tools.mcp import McpBridge

            self._bridge = McpBridge(self.app, self.registry)
        self._bridge.prepare()
        return self._bridge

    def wsgi_app(self, environ: dict):
        return (self._bridge or self.preload()).wsgi_app(environ)


def answer(registry: ToolRegistry, bridge: LazyBridge, request) -> Response | object:
    """The answer to one POST to `/api/mcp` (inside a request context): a refusal of our own
    (401, 403, parse error), or the SDK's WSGI app serving the request. Both lanes use it:
    Flask's view and `McpEdge`."""
    unreadable = None
    try:
        body = read_raw(request)
        msgs = messages(body)
    except AppError as err:
        body, msgs, unreadable = b"", [], err
    first_id = msgs[0].get("id") if msgs else None
    try:
        actor = header_actor()
    except Unauthorized as err:
        return unauthorized(first_id, err)
    if actor is None:
        return unauthorized(first_id, None)
    if unreadable is not None:
        return parse_error(unreadable)
    refusal = scope_refusal(registry, actor, msgs)
    if refusal is not None:
        return refusal
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ["CONTENT_LENGTH"] = str(len(body))
    request.environ[ENVIRON_ACTOR] = actor
    return json_errors(bridge.wsgi_app(request.environ))


def register_mcp(app: Flask, registry: ToolRegistry) -> None:
    bridge = LazyBridge(app, registry)
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
        return answer(registry, bridge, request)

    from app.extensions import limiter

    limiter.exempt(bp)  # no per-IP limit applies to /api/mcp: skip the limiter's per-request check
    app.register_blueprint(bp)
    app.wsgi_app = McpEdge(app, registry, bridge, app.wsgi_app)


class McpEdge:
    """WSGI layer in front of Flask's dispatch for `/api/mcp`.

    `/api/mcp/` is served exactly like `/api/mcp` (credentials, OAuth audience, CORS, SDK), so it
    is rewritten first. Then a plain POST (no query string, no `Origin`: what SDK clients, hosted
    connectors and CLIs send) takes the short lane: a request context with no cookie session,
    and `answer` called directly, without Flask's per-request hooks (the limiter, which exempts
    this path anyway; CSRF and form checks, which need a cookie or a form; CORS, which needs an
    `Origin`). Everything else (a browser's request, GET, DELETE, OPTIONS) goes to Flask's view,
    which gives the same answers plus CORS headers. On a 2-CPU machine the short lane halves
    what Flask adds to a `tools/call` (see the README's Performance section).
    """

    def __init__(self, app: Flask, registry: ToolRegistry, bridge: LazyBridge, flask_wsgi):
        self.app, self.registry, self.bridge, self.flask_wsgi = app, registry, bridge, flask_wsgi

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        if path == MCP_PATH + "/":
            environ["PATH_INFO"] = path = MCP_PATH
        if (path != MCP_PATH or environ.get("REQUEST_METHOD") != "POST" or environ.get("QUERY_STRING")
                or "HTTP_ORIGIN" in environ):
            return self.flask_wsgi(environ, start_response)
        ctx = RequestContext(self.app, environ,  # no cookie session to read or write
                             session=self.app.session_interface.make_null_session(self.app))
        with ctx:
            try:
                response = answer(self.registry, self.bridge, ctx.request)
                return list(response(environ, start_response))  # served whole, inside this context
            except Exception:
                log.exception("unhandled error on POST %s", MCP_PATH)
                err = AppError("Something went wrong on our side.", code="internal_error", status=500)
                failed = Response(json.dumps(err.to_dict()), status=500, mimetype="application/json")
                return failed(environ, lambda status, headers: start_response(status, headers, sys.exc_info()))
