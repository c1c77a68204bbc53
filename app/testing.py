"""minapi's pytest plugin for plugin authors (entry point `minapi` in `pytest11`).

Installed with minapi, it is active in every pytest run; its fixtures are all named
`minapi_*` and do nothing unless a test asks for them:

- `minapi_plugins`: the plugins to enable (override it in your `conftest.py`; default
  `["builtin"]`), `minapi_config`: extra configuration (default `{}`).
- `minapi_app`: an app with those plugins, its database migrated (SQLite in a temporary
  instance folder unless `minapi_config` names a `DATABASE_URL`; a PostgreSQL database named
  there is emptied, its `public` schema dropped, before each test: give a test database).
- `minapi_account`: an account (`.id`, `.email`, `.password`) with an MCP key (`.mcp_key`).
- `minapi_rest`: a REST client for `/api/v1` authenticated with that MCP key, as an AI
  client is; `minapi_rest.as_person()` signs the account in (session and CSRF) for what only a
  person may do (destructive actions).
- `minapi_live`: the app served over real HTTP on 127.0.0.1 (its base URL as `.url`).
- `minapi_mcp`: an MCP client (the `mcp` SDK's) talking to `minapi_live` with the MCP key:
  `.list_tools()`, `.call(name, **arguments)` and `.session(fn)` for anything else.
"""

from __future__ import annotations

import asyncio
import re
import threading
from dataclasses import dataclass

import pytest

TEST_SECRET = "minapi-testing-secret-key-0123456789"
PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class TestAccount:
    id: str
    email: str
    password: str
    mcp_key: str


def _csrf(page: str) -> str:
    match = CSRF_RE.search(page)
    if not match:
        raise AssertionError("no CSRF token on the page")
    return match.group(1) or match.group(2)


class RestClient:
    """`/api/v1` over the Flask test client: `.get("/endpoints")`, `.post("/todo", json={...})`.

    Paths are relative to `/api/v1` (a full `/…` path outside it is used as given); each
    method returns the Werkzeug test response (`.status_code`, `.json`)."""

    def __init__(self, app, headers: dict):
        self.app, self.http, self.headers = app, app.test_client(), dict(headers)

    def _url(self, path: str) -> str:
        return path if path.startswith(("/api/", "/oauth", "/.well-known")) else "/api/v1/" + path.lstrip("/")

    def request(self, method: str, path: str, **kw):
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.http.open(self._url(path), method=method, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class PersonClient(RestClient):
    """A signed-in person: the session cookie plus the `X-CSRFToken` header."""

    def __init__(self, app, account: TestAccount):
        super().__init__(app, {})
        token = _csrf(self.http.get("/login").get_data(as_text=True))
        resp = self.http.post("/login", data={"email": account.email, "password": account.password,
                                              "csrf_token": token})
        if resp.status_code != 302:
            raise AssertionError(f"signing in failed: {resp.status_code}")
        self.headers["X-CSRFToken"] = _csrf(self.http.get("/settings/ai").get_data(as_text=True))


class McpTestClient:
    """The `mcp` SDK's client against a live server; each call opens one session."""

    def __init__(self, url: str, key: str):
        self.url, self.key = url.rstrip("/") + "/api/mcp", key

    def session(self, fn):
        """Run `await fn(client)` in a fresh SDK client session; returns its result."""
        import httpx2 as httpx
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        async def go():
            async with httpx.AsyncClient(headers={"x-api-key": self.key}, timeout=httpx.Timeout(30.0)) as http:
                async with Client(streamable_http_client(self.url, http_client=http)) as client:
                    return await fn(client)

        return asyncio.run(go())

    def list_tools(self) -> list:
        return self.session(lambda c: c.list_tools()).tools

    def tool_names(self) -> set[str]:
        return {t.name for t in self.list_tools()}

    def call(self, name: str, **arguments):
        """The `CallToolResult` (`.is_error`, `.structured_content`, `.content`)."""
        return self.session(lambda c: c.call_tool(name, arguments))


@pytest.fixture
def minapi_plugins() -> list[str]:
    """Override to enable your plugin: `return ["builtin", "todo"]`."""
    return ["builtin"]


@pytest.fixture
def minapi_config() -> dict:
    """Override to add configuration (keys without the `MINAPI_` prefix)."""
    return {}


@pytest.fixture
def minapi_app(tmp_path, minapi_plugins, minapi_config):
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": TEST_SECRET,
              "BASE_URL": "http://localhost", "RATELIMIT_ENABLED": False, "PLUGINS": list(minapi_plugins),
              **minapi_config}
    url = str(config.get("DATABASE_URL") or "")
    if url.startswith(("postgres://", "postgresql")):  # a test database: start each test empty
        _empty_postgres(url)
    app = create_app(config)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgres://", "postgresql://", 1)
                           .replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def minapi_account(minapi_app) -> TestAccount:
    from app.accounts import services
    from app.auth import mcp_keys
    from app.extensions import db

    with minapi_app.app_context():
        account = services.create_account("author@example.com", PASSWORD, display_name="Plugin author")
        _, key = mcp_keys.create(account.id, "tests", read_only=False, created_by="cli")
        db.session.commit()
        return TestAccount(id=account.id, email=account.email, password=PASSWORD, mcp_key=key)


class _AccountRest(RestClient):
    def __init__(self, app, account: TestAccount):
        super().__init__(app, {"x-api-key": account.mcp_key})
        self.account = account

    def as_person(self) -> PersonClient:
        return PersonClient(self.app, self.account)


@pytest.fixture
def minapi_rest(minapi_app, minapi_account) -> RestClient:
    return _AccountRest(minapi_app, minapi_account)


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)


@pytest.fixture
def minapi_live(minapi_app):
    live = LiveServer(minapi_app)
    live.thread.start()
    yield live
    live.server.shutdown()
    live.server.server_close()


@pytest.fixture
def minapi_mcp(minapi_live, minapi_account) -> McpTestClient:
    return McpTestClient(minapi_live.url, minapi_account.mcp_key)
