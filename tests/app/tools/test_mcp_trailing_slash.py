"""`/api/mcp/` (trailing slash) is served exactly like `/api/mcp`, OAuth access tokens included."""

import httpx
import pytest

from tests.app.auth.oauth.support import Person, live_app, make_account, obtain_tokens
from tests.sample_plugins import NOTES


@pytest.fixture
def live(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    with live_app(make_app, PLUGINS=f"builtin,{name}") as (app, url):
        make_account(app)
        yield app, url


def test_oauth_token_opens_the_trailing_slash_path(live):
    app, base = live
    tokens = obtain_tokens(base, Person(base))
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
    for path in ("/api/mcp", "/api/mcp/"):
        resp = httpx.post(base + path, json=body, headers=headers)
        assert resp.status_code == 200, (path, resp.text)
    preflight = httpx.options(f"{base}/api/mcp/", headers={"Origin": "https://claude.ai",
                                                          "Access-Control-Request-Method": "POST"})
    assert preflight.headers.get("Access-Control-Allow-Origin"), preflight.headers
