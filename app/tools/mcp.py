"""The MCP adapter: the `mcp` SDK's server, fed from the tool registry, inside Flask.

Every action the registry exposes on MCP becomes a tool with its title, description,
JSON Schemas (from the action's marshmallow schemas) and annotations (from its kind).
A call runs through `runner.run` in a worker thread with an app context, exactly as a
REST call does, and `AppError`s come back as `isError` results carrying the code (as text: no
structured content, which would have to match the tool's output schema).

The SDK app is an ASGI app; `McpBridge` builds it lazily once per process (so forked
gunicorn workers each get their own event loop) and wraps it with a2wsgi so the Flask
view can return it as a WSGI callable. A request in the 2026-07-28 protocol (one JSON-RPC
request per POST, no session) is served by the same SDK app on the serving thread's own
event loop instead (`SameThread`), and its tool runs right there: no hop to the bridge's
loop thread and on to a worker thread, which cost more than the call itself. This is the only module that imports the SDK, and
`mcp_view` imports it on the first MCP request only (commands that do not serve never load it).
"""

from __future__ import annotations

import asyncio
import hashlib
import http
import hmac
import importlib.metadata
import json
import logging
import os
import threading
import time
from urllib.parse import urlsplit

import anyio
from a2wsgi import ASGIMiddleware
from a2wsgi.asgi import ASGIResponder, build_scope
from flask import Flask
from mcp.server import Server, ServerRequestContext
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from mcp.types import (CallToolRequestParams, CallToolResult, Icon, ListToolsResult, PaginatedRequestParams,
                       TextContent, Tool, ToolAnnotations)

from app import metrics
from app.errors import AppError
from app.extensions import db
from app.safety import headroom
from app.tools import runner
from app.tools.mcp_view import ENVIRON_ACTOR, MCP_PATH
from app.tools.registry import Action, ToolRegistry
from app.tools.schemas import tool_schemas

log = logging.getLogger(__name__)
_lane = threading.local()  # .loop: this serving thread's event loop; .direct: a tool may run inline

SERVER_NAME = "minapi"  # the same on every worker: it is the audience of sealed request state
ICON_PATH = "/static/minapi.svg"  # a stable URL: clients cache the icon by it

INSTRUCTIONS = """\
minapi is a no-code JSON API builder: each endpoint is a JSON API (a URL that stores, lists and \
searches records) with sandbox and production keys, call logs, usage stats, webhooks and collaborators. \
These tools manage the user's own endpoints and call them.
- Name an endpoint by its id (ep_…), slug or name. The environment is sandbox unless you pass \
environment=production; production answers only after endpoints_deploy.
- Deleting endpoints, keys, invitations or archives, regenerating keys and changing plans are done by \
a person in the dashboard ({base_url}); no tool does them, so say so rather than look for one.
- Dates are ISO 8601 in UTC. A date without a time means that whole UTC day: from=2026-12-02 and \
to=2026-12-02 is that one day, both ends included.
- help(topic) explains how anything works."""


def version() -> str:
    try:
        return importlib.metadata.version("minapi")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was not installed
        return "0"


def server_info(app: Flask) -> dict:
    """What `initialize` and `server/discover` say about this server (SPEC §4)."""
    base = app.config["BASE_URL"]
    return {"title": "minapi", "version": version(), "website_url": base,
            "instructions": INSTRUCTIONS.format(base_url=base),
            "icons": [Icon(src=base + ICON_PATH, mime_type="image/svg+xml", sizes=["any"])]}


def to_tool(action: Action, schemas: tuple[dict, dict]) -> Tool:
    """The tool as listed. The title is the tool's own, not repeated in the annotations; a read
    tool's annotations say only readOnlyHint and openWorldHint (the other hints mean something
    only for a tool that changes things), and idempotentHint is left at its default, false."""
    ann = action.annotations
    writes = not ann["readOnlyHint"]
    return Tool(name=action.tool_name, title=action.title, description=action.description,
                input_schema=schemas[0], output_schema=schemas[1],
                annotations=ToolAnnotations(read_only_hint=ann["readOnlyHint"],
                                            destructive_hint=ann["destructiveHint"] if writes else None,
                                            idempotent_hint=True if writes and ann["idempotentHint"] else None,
                                            open_world_hint=ann["openWorldHint"]))


def text(data: dict) -> list[TextContent]:
    return [TextContent(type="text", text=json.dumps(data, default=str))]


def result(data: dict) -> CallToolResult:
    return CallToolResult(content=text(data), structured_content=data, is_error=False)


def error_result(err: AppError) -> CallToolResult:
    """`{"error": {...}}` as text only: structured content must match the tool's `outputSchema`,
    which describes success, and SDK clients (TypeScript 1.x) reject a result that does not."""
    return CallToolResult(content=text(err.to_dict()), is_error=True)


def with_quota(res: CallToolResult, actor, action: Action | None) -> CallToolResult:
    """Every result, errors too, carries `_meta["minapi/quota"]`: the plan's headroom (SPEC §10)
    as it stands after the action's commit. That is the figure read with the credential when
    nothing the call did could change it (a read that made no data-plane call; prefetch.py),
    else it is read now."""
    try:
        row = actor.ai_state.take_quota() if actor.ai_state is not None else None
        counted = headroom.counted_here()
        if row is not None and not counted and (action is None or action.kind == "read"):
            quota = headroom.figure(row)
        else:
            quota = headroom.headroom(actor.account_id)
    except Exception:  # the figure is a courtesy: never let it cost the caller their answer
        log.exception("quota headroom failed")
        db.session.rollback()
        quota = None
    if quota is not None:
        res.meta = {**(res.meta or {}), headroom.META_KEY: quota}
    return res


def state_key(app: Flask) -> bytes:
    """Key for sealing request state: derived from the secret key, so every worker and host agrees."""
    return hmac.new(app.config["SECRET_KEY"].encode(), b"minapi mcp request state", hashlib.sha256).digest()


def allowed_hosts(app: Flask) -> list[str]:
    """Host headers accepted on /api/mcp (DNS-rebinding protection): the public host, plus loopback."""
    hosts = {urlsplit(app.config["BASE_URL"]).hostname or "", "127.0.0.1", "localhost", "[::1]"}
    hosts.update(app.config.get("MCP_ALLOWED_HOSTS") or [])
    return sorted(h for base in hosts if base for h in (base, f"{base}:*"))


LOOPBACK_ORIGINS = [f"{scheme}://{host}{port}" for scheme in ("http", "https")
                    for host in ("127.0.0.1", "localhost", "[::1]") for port in ("", ":*")]


def allowed_origins(app: Flask) -> list[str]:
    """Browser origins accepted: the instance's own and loopback (local tools such as the Inspector).

    A page elsewhere on the web (what DNS rebinding relies on) is refused.
    """
    base = urlsplit(app.config["BASE_URL"])
    return [f"{base.scheme}://{base.netloc}", *LOOPBACK_ORIGINS, *(app.config.get("MCP_ALLOWED_ORIGINS") or [])]


def build_server(app: Flask, registry: ToolRegistry) -> Server:
    actions = {a.tool_name: a for a in registry.mcp_actions()}
    schemas = tool_schemas(list(actions.values()))
    tools = [to_tool(a, schemas[a.tool_name]) for a in actions.values()]
    input_schemas = {t.name: t.input_schema for t in tools}

    async def list_tools(ctx: ServerRequestContext, params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=tools)

    async def call_tool(ctx: ServerRequestContext, params: CallToolRequestParams) -> CallToolResult:
        action = actions.get(params.name)
        actor = ctx.request.scope["wsgi_environ"][ENVIRON_ACTOR]
        arguments = dict(params.arguments or {})

        def execute() -> CallToolResult:  # inside an app context
            if action is None:
                res = error_result(AppError(f"There is no tool named {params.name!r}.", code="unknown_tool",
                                            status=404))
            else:
                try:
                    res = result(runner.run(action, actor, arguments, surface="mcp"))
                except AppError as err:
                    outcome[0] = err.code
                    res = error_result(err)
                except Exception:  # a bug: say so plainly, keep the details in our log
                    outcome[0] = "internal_error"
                    log.exception("MCP tool %s failed", action.tool_name)
                    res = error_result(AppError("Something went wrong on our side.", code="internal_error",
                                                status=500))
            return with_quota(res, actor, action)

        def run() -> CallToolResult:
            with app.app_context():
                return execute()

        started, outcome = time.perf_counter(), ["success"]
        try:
            if getattr(_lane, "direct", False):  # on the serving thread, inside its request's app context
                return execute()
            return await anyio.to_thread.run_sync(run)
        finally:
            metrics.tool_call(app, params.name if action is None else action.tool_name, outcome[0],
                              time.perf_counter() - started)

    server = Server(SERVER_NAME, **server_info(app), on_list_tools=list_tools, on_call_tool=call_tool,
                    get_tool_input_schema=input_schemas.get)
    security = RequestStateSecurity(
        keys=[state_key(app)],
        bind_principal=lambda ctx: ctx.request.scope["wsgi_environ"][ENVIRON_ACTOR].account_id)
    server.middleware.append(RequestStateBoundary(security, default_audience=SERVER_NAME))
    return server


class McpBridge:
    """One SDK app, event loop and a2wsgi wrapper per process, built on first use."""

    def __init__(self, app: Flask, registry: ToolRegistry):
        self.app, self.registry = app, registry
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._wsgi = None
        self._server = self._asgi = None

    def wsgi_app(self, environ: dict):
        """The WSGI app serving this request: same-thread for the 2026-07-28 protocol (the SDK
        routes a version outside the handshake era to its single-exchange entry, which uses no
        session task group), the a2wsgi bridge for the handshake era."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._wsgi, self._same_thread = self._start()
                    self._pid = os.getpid()
        version = environ.get("HTTP_MCP_PROTOCOL_VERSION")
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            return self._same_thread
        return self._wsgi

    def prepare(self) -> None:
        """Build the SDK server and its ASGI app (no thread, no loop): done in gunicorn's master
        before it forks, so no worker pays for it on its first MCP request."""
        if self._server is not None:
            return
        server = build_server(self.app, self.registry)
        self._asgi = server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                                         allowed_hosts=allowed_hosts(self.app),
                                                         allowed_origins=allowed_origins(self.app)))
        self._server = server

    def _start(self):
        self.prepare()
        server, asgi = self._server, self._asgi
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="minapi-mcp-loop", daemon=True).start()
        started = threading.Event()

        async def run_manager():  # a2wsgi runs no ASGI lifespan, so the session manager is entered here
            async with server.session_manager.run():
                started.set()
                await asyncio.Event().wait()

        future = asyncio.run_coroutine_threadsafe(run_manager(), loop)
        if not started.wait(10):
            raise RuntimeError(f"MCP session manager did not start: {future.exception(0) if future.done() else 'timeout'}")
        return Bridge(asgi, loop=loop), SameThread(asgi)


class Bridge(ASGIMiddleware):
    """a2wsgi's bridge, except that a response closed before its end (the HTTP client went
    away, or read only the status) cancels the SDK's request task on its loop. a2wsgi leaves
    that task waiting for a send nobody takes; it was later destroyed by the garbage collector
    on whatever thread ran it, where its clean-up cannot find an event loop."""

    def __call__(self, environ, start_response):
        return _Responder(self.app, self.loop, self.wait_time)(environ, start_response)


class _Responder(ASGIResponder):
    task: asyncio.Task | None = None

    async def start_asgi_app(self, environ):
        self.task = await super().start_asgi_app(environ)
        return self.task

    def __call__(self, environ, start_response):
        try:
            yield from super().__call__(environ, start_response)
        finally:
            if self.task is not None and not self.asgi_done.is_set():
                self.loop.call_soon_threadsafe(self.task.cancel)


class SameThread:
    """Serve one request with an ASGI app on the calling thread's own event loop, body buffered.

    Only for requests the SDK answers in one exchange (JSON, or an SSE stream that ends with
    the answer): the response is sent once the app has finished.
    """

    def __init__(self, asgi):
        self.asgi = asgi

    def __call__(self, environ, start_response):
        loop = getattr(_lane, "loop", None)
        if loop is None:
            loop = _lane.loop = asyncio.new_event_loop()
        body = environ["wsgi.input"].read()
        status, headers, chunks = loop.run_until_complete(self._serve(build_scope(environ), body))
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        start_response(f"{status} {phrase}", headers)
        return chunks

    async def _serve(self, scope: dict, body: bytes):
        answered = asyncio.Event()
        request = [{"type": "http.request", "body": body, "more_body": False}]
        response: dict = {"status": 500, "headers": []}
        chunks: list[bytes] = []

        async def receive():
            if request:
                return request.pop()
            await answered.wait()  # the client stays until it has its answer
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    answered.set()

        _lane.direct = True
        try:
            await self.asgi(scope, receive, send)
        finally:
            _lane.direct = False
            answered.set()
        return response["status"], response["headers"], chunks
