"""Helpers for the OAuth tests: a live app whose BASE_URL is its real address, a person at a
browser who signs in and answers the consent page, PKCE, and the SDK's OAuth client."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from tests.live import LiveServer, free_port

PASSWORD = "correct horse battery"
REDIRECT = "http://127.0.0.1:33418/callback"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@contextlib.contextmanager
def live_app(make_app, **config):
    """A migrated app served on 127.0.0.1, with BASE_URL set to where it really listens."""
    port = free_port()
    app = make_app(BASE_URL=f"http://127.0.0.1:{port}", **config)
    with LiveServer(app, port=port) as server:
        yield app, server.url


def make_account(app, email="ada@example.com"):
    result = app.test_cli_runner().invoke(args=["users", "create", email, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    return result.output.split()[1]  # "created acc_… email plan=…"


def csrf(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, html
    return match.group(1)


class Person:
    """Someone at a browser: signs in when sent to /login, then answers the consent page."""

    def __init__(self, base: str, email="ada@example.com", *, access="write", decision="allow"):
        self.base, self.email, self.access, self.decision = base, email, access, decision
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        self.consent_pages: list[str] = []

    def sign_in(self, next_path: str | None = None) -> httpx.Response:
        path = "/login" + (f"?{urlencode({'next': next_path})}" if next_path else "")
        token = csrf(self.http.get(path).text)
        resp = self.http.post(path, data={"email": self.email, "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, resp.text
        return resp

    def follow(self, url: str) -> httpx.Response:
        """GET an authorization URL; sign in when redirected to the login page."""
        resp = self.http.get(url)
        if resp.status_code == 302 and urlsplit(resp.headers["location"]).path == "/login":
            next_path = parse_qs(urlsplit(resp.headers["location"]).query)["next"][0]
            back = self.sign_in(next_path)
            assert back.headers["location"] == next_path
            resp = self.http.get(next_path)
        return resp

    def authorize(self, url: str) -> str:
        """Go through sign-in and consent; returns the Location the server redirected to."""
        page = self.follow(url)
        if page.status_code == 302:  # an error sent straight back to the client
            return page.headers["location"]
        assert page.status_code == 200, page.text
        self.consent_pages.append(unescape(page.text))
        main = page.text.split("<main>", 1)[1]  # the page's own form, not the header's sign-out
        action = unescape(re.search(r'<form method="post" action="([^"]+)"', main).group(1))
        resp = self.http.post(action, data={"csrf_token": csrf(page.text), "access": self.access,
                                            "decision": self.decision})
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info


def sdk_provider(base: str, person: Person, *, client_metadata_url: str | None = None,
                 storage: MemoryStorage | None = None) -> OAuthClientProvider:
    """The SDK's OAuthClientProvider, driven headlessly: the redirect handler is `person`."""
    redirects: list[str] = []

    async def redirect_handler(url: str) -> None:
        redirects.append(await asyncio.to_thread(person.authorize, url))

    async def callback_handler() -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(redirects[-1]).query)
        assert "code" in query, redirects[-1]
        return AuthorizationCodeResult(code=query["code"][0], state=query["state"][0],
                                       iss=query.get("iss", [None])[0])

    provider = OAuthClientProvider(
        server_url=f"{base}/api/mcp",
        client_metadata=OAuthClientMetadata(client_name="Test Connector", redirect_uris=[REDIRECT],
                                            token_endpoint_auth_method="none"),
        storage=storage or MemoryStorage(), redirect_handler=redirect_handler,
        callback_handler=callback_handler, client_metadata_url=client_metadata_url)
    provider.redirects = redirects
    return provider


def sdk_session(base: str, provider: OAuthClientProvider, fn, mode: str = "auto"):
    """Open an SDK client on /api/mcp with OAuth, run `await fn(client)`, return its result."""

    async def go():
        async with httpx2.AsyncClient(auth=provider, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
            async with Client(streamable_http_client(f"{base}/api/mcp", http_client=http), mode=mode) as client:
                return await fn(client)

    return asyncio.run(go())


# -- the protocol by hand, for negative cases ---------------------------------------------------

def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def register(base: str, **metadata) -> dict:
    body = {"client_name": "Hand Client", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
            **metadata}
    resp = httpx.post(f"{base}/oauth/register", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def authorize_params(base: str, client_id: str, challenge: str, **overrides) -> dict:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "st-123",
              "code_challenge": challenge, "code_challenge_method": "S256", "scope": "mcp:read mcp:write",
              "resource": f"{base}/api/mcp"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def code_from(location: str) -> dict:
    assert location.startswith(REDIRECT.split("?")[0].rsplit(":", 1)[0]), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def obtain_tokens(base: str, person: Person, client: dict | None = None, **token_overrides) -> dict:
    """Register (unless given a client), consent, exchange the code; returns the token response."""
    client = client or register(base)
    verifier, challenge = pkce()
    url = f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"], challenge))
    got = code_from(person.authorize(url))
    data = {"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT,
            "client_id": client["client_id"], "code_verifier": verifier, "resource": f"{base}/api/mcp",
            **token_overrides}
    resp = httpx.post(f"{base}/oauth/token", data={k: v for k, v in data.items() if v is not None})
    assert resp.status_code == 200, resp.text
    return {**resp.json(), "client": client, "code": got["code"], "verifier": verifier}


def refresh(base: str, client_id: str, refresh_token: str, **extra) -> httpx.Response:
    return httpx.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                                   "client_id": client_id, **extra})


def mcp_status(base: str, access_token: str, method: str = "tools/list", params: dict | None = None) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, **({"params": params} if params else {})}
    resp = httpx.post(f"{base}/api/mcp", json=body, headers={
        "Authorization": f"Bearer {access_token}", "accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25"})
    return resp.status_code
