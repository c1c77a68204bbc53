"""The MCP adapter: the `mcp` SDK's server, fed from the tool registry, inside Flask.

Every action the registry exposes on MCP becomes a tool with its title, description,
JSON Schemas (from the action's marshmallow schemas) and annotations (from its kind).
A call runs through `runner.run` in a worker thread with an app context, exactly as a
REST call does, and `AppError`s come back as `isError` results carrying the code (as text: no
structured content, which would have to match the tool's output schema).

The SDK app is an ASGI app; `McpBridge` builds it lazily once per process (so forked
gunicorn workers each get their own event loop) and wraps it with a2wsgi so the Flask
view can return it as a WSGI callable. This module and `mcp_view` are the only ones
that import the SDK.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import threading
from urllib.parse import urlsplit

import anyio
from a2wsgi import ASGIMiddleware
from flask import Flask
from mcp.server import Server, ServerRequestContext
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import (CallToolRequestParams, CallToolResult, ListToolsResult, PaginatedRequestParams,
                       TextContent, Tool, ToolAnnotations)

from app.errors import AppError
from app.tools import runner
from app.tools.registry import Action, ToolRegistry
from app.tools.schemas import json_schema

log = logging.getLogger(__name__)

MCP_PATH = "/api/mcp"
SERVER_NAME = "minapi"  # the same on every worker: it is the audience of sealed request state
ENVIRON_ACTOR = "minapi.actor"


def to_tool(action: Action) -> Tool:
    ann = action.annotations
    return Tool(name=action.tool_name, title=action.title, description=action.description,
                input_schema=json_schema(action.args), output_schema=json_schema(action.returns),
                annotations=ToolAnnotations(title=ann["title"], read_only_hint=ann["readOnlyHint"],
                                            destructive_hint=ann["destructiveHint"],
                                            idempotent_hint=ann["idempotentHint"],
                                            open_world_hint=ann["openWorldHint"]))


def text(data: dict) -> list[TextContent]:
    return [TextContent(type="text", text=json.dumps(data, default=str))]


def result(data: dict) -> CallToolResult:
    return CallToolResult(content=text(data), structured_content=data, is_error=False)


def error_result(err: AppError) -> CallToolResult:
    """`{"error": {...}}` as text only: structured content must match the tool's `outputSchema`,
    which describes success, and SDK clients (TypeScript 1.x) reject a result that does not."""
    return CallToolResult(content=text(err.to_dict()), is_error=True)


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
    tools = [to_tool(a) for a in actions.values()]
    input_schemas = {t.name: t.input_schema for t in tools}

    async def list_tools(ctx: ServerRequestContext, params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=tools)

    async def call_tool(ctx: ServerRequestContext, params: CallToolRequestParams) -> CallToolResult:
        action = actions.get(params.name)
        if action is None:
            return error_result(AppError(f"There is no tool named {params.name!r}.", code="unknown_tool",
                                         status=404))
        actor = ctx.request.scope["wsgi_environ"][ENVIRON_ACTOR]
        arguments = dict(params.arguments or {})

        def run() -> dict:
            with app.app_context():
                return runner.run(action, actor, arguments)

        try:
            return result(await anyio.to_thread.run_sync(run))
        except AppError as err:
            return error_result(err)
        except Exception:  # a bug: say so plainly, keep the details in our log
            log.exception("MCP tool %s failed", action.tool_name)
            return error_result(AppError("Something went wrong on our side.", code="internal_error", status=500))

    server = Server(SERVER_NAME, version="1", on_list_tools=list_tools, on_call_tool=call_tool,
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

    def wsgi_app(self):
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._wsgi = self._start()
                    self._pid = os.getpid()
        return self._wsgi

    def _start(self):
        server = build_server(self.app, self.registry)
        asgi = server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                                         allowed_hosts=allowed_hosts(self.app),
                                                         allowed_origins=allowed_origins(self.app)))
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
        return ASGIMiddleware(asgi, loop=loop)
