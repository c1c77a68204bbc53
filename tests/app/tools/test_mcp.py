"""The MCP server at /api/mcp, driven by the SDK's own client over real HTTP."""

import json
import os

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.conftest import ON_POSTGRES, PG_URL, mcp_key
from tests.live import LiveServer, gunicorn, mcp_call, rpc, rpc_payload, tool_error
from tests.sample_plugins import NOTES

MODES = ["auto", "legacy"]
ERA = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@pytest.fixture
def notes_app(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    return make_app(PLUGINS=f"builtin,{name}")


@pytest.fixture
def live(notes_app):
    with LiveServer(notes_app) as server:
        yield server


@pytest.mark.parametrize("mode", MODES)
def test_client_lists_every_non_destructive_tool(live, notes_app, mode):
    key = mcp_key(notes_app)

    async def go(client):
        assert client.protocol_version == ERA[mode]
        assert client.server_info.name == "minapi"
        return {t.name: t for t in (await client.list_tools()).tools}

    tools = mcp_call(live.url, key, go, mode)
    registry = notes_app.extensions["minapi.tools"]
    assert set(tools) == {a.tool_name for a in registry.mcp_actions()}
    assert {"help", "notes_add", "notes_list"} <= set(tools)
    assert "notes_purge" not in tools and "mcp_keys_create" not in tools
    add = tools["notes_add"]
    assert add.title and add.description.startswith("Add a note")
    assert add.input_schema["required"] == ["text"]
    assert add.input_schema["properties"]["count"]["type"] == "integer"
    assert add.output_schema["properties"]["owner"]["type"] == "string"
    assert (add.annotations.read_only_hint, add.annotations.destructive_hint) == (False, False)
    assert tools["help"].annotations.read_only_hint is True


@pytest.mark.parametrize("mode", MODES)
def test_help_over_mcp_matches_rest(live, notes_app, mode):
    key = mcp_key(notes_app)

    async def go(client):
        return await client.call_tool("help", {"topic": "mcp"})

    res = mcp_call(live.url, key, go, mode)
    assert res.is_error is False
    rest = httpx.get(f"{live.url}/api/v1/help", params={"topic": "mcp"}).json()
    assert res.structured_content == rest
    assert '"topic": "mcp"' in res.content[0].text


@pytest.mark.parametrize("mode", MODES)
def test_tool_errors_are_is_error_results_with_the_code(live, notes_app, mode):
    key = mcp_key(notes_app)

    async def go(client):
        return (await client.call_tool("help", {"topic": "nope"}),
                await client.call_tool("notes_add", {"count": "x"}),
                await client.call_tool("notes_purge", {"text": "a"}),
                await client.call_tool("notes_explode", {}))

    unknown_topic, invalid, destructive, boom = mcp_call(live.url, key, go, mode)
    assert tool_error(unknown_topic)["code"] == "unknown_topic"
    assert tool_error(invalid)["code"] == "validation_failed"
    assert set(tool_error(invalid)["details"]) == {"text", "count"}
    assert tool_error(destructive)["code"] == "unknown_tool"
    assert tool_error(boom) == {"code": "internal_error", "message": "Something went wrong on our side."}


def test_error_results_carry_text_only_on_the_wire(live, notes_app):
    """No `structuredContent` on an error: it would fail the tool's outputSchema in SDK clients."""
    key = mcp_key(notes_app)
    call = rpc(live.url, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": "notes_add", "arguments": {"count": "x"}}}, key,
               **{"MCP-Protocol-Version": "2025-06-18"})
    payload = rpc_payload(call)["result"]
    assert payload["isError"] is True and "structuredContent" not in payload
    assert [c["type"] for c in payload["content"]] == ["text"]
    assert json.loads(payload["content"][0]["text"])["error"]["code"] == "validation_failed"


@pytest.mark.parametrize("mode", MODES)
def test_read_only_key_is_refused_a_write_tool(live, notes_app, mode):
    key = mcp_key(notes_app, read_only=True)

    async def go(client):
        listed = {t.name for t in (await client.list_tools()).tools}
        read = await client.call_tool("notes_list", {})
        with pytest.raises(MCPError) as info:
            await client.call_tool("notes_add", {"text": "hi"})
        return listed, read, info.value.error

    listed, read, error = mcp_call(live.url, key, go, mode)
    assert "notes_add" in listed  # tools/list is the same for every credential
    assert read.is_error is False
    assert error.data == {"code": "insufficient_scope", "scope": "mcp:write"}


def test_insufficient_scope_is_http_403_with_step_up_header(live, notes_app):
    key = mcp_key(notes_app, read_only=True)
    resp = rpc(live.url, {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                          "params": {"name": "notes_add", "arguments": {"text": "x"}}}, key)
    assert resp.status_code == 403
    header = resp.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in header and 'scope="mcp:read mcp:write"' in header
    assert resp.json()["error"]["data"]["code"] == "insufficient_scope"


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "tm_mcp_wrong"}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic Zm9vOmJhcg=="}])
def test_missing_or_wrong_credentials_get_401_with_resource_metadata(live, notes_app, headers):
    resp = rpc(live.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, None, **headers)
    assert resp.status_code == 401
    header = resp.headers["WWW-Authenticate"]
    expected = ('resource_metadata="http://localhost/.well-known/oauth-protected-resource/api/mcp", '
                'scope="mcp:read mcp:write"')
    if headers:
        assert header == 'Bearer error="invalid_token", ' + expected
    else:
        assert header == "Bearer " + expected
    assert resp.json()["error"]["code"] == -32004


@pytest.mark.parametrize("mode", MODES)
def test_trailing_slash_is_served_like_the_path(live, notes_app, mode):
    key = mcp_key(notes_app)

    async def go(client):
        names = {t.name for t in (await client.list_tools()).tools}
        return names, await client.call_tool("notes_add", {"text": "via slash"})

    names, added = mcp_call(live.url, key, go, mode, path="/api/mcp/")
    assert "notes_add" in names and added.is_error is False and added.structured_content["text"] == "via slash"
    anon = rpc(live.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, None, path="/api/mcp/")
    assert anon.status_code == 401 and 'scope="mcp:read mcp:write"' in anon.headers["WWW-Authenticate"]
    assert httpx.get(f"{live.url}/api/mcp/", headers={"x-api-key": key}).status_code == 405


@pytest.mark.parametrize("prefix", ["tm_test_", "tm_live_"])
@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
def test_a_data_key_is_told_it_needs_an_mcp_key(live, notes_app, prefix, how):
    secret = prefix + "a" * 32
    headers = {"x-api-key": secret} if how == "x-api-key" else {"Authorization": f"Bearer {secret}"}
    resp = rpc(live.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, None, **headers)
    assert resp.status_code == 401
    error = resp.json()["error"]
    assert error["data"]["code"] == "invalid_key"
    assert "data key" in error["message"] and "tm_mcp_" in error["message"] and "AI integration" in error["message"]
    rest = httpx.get(f"{live.url}/api/v1/endpoints", headers=headers)
    assert rest.status_code == 401 and rest.json()["error"]["code"] == "invalid_key"
    assert rest.json()["error"]["message"] == error["message"]
    other = rpc(live.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, None, **{"x-api-key": "tm_mcp_nope"})
    assert "data key" not in other.json()["error"]["message"]


@pytest.mark.parametrize("mode", MODES)
def test_sdk_client_without_key_fails_to_connect(live, mode):
    async def go(client):
        return await client.list_tools()

    with pytest.raises(BaseException) as info:
        mcp_call(live.url, None, go, mode)
    errors = _leaves(info.value)
    assert any(isinstance(e, MCPError) and e.error.code == -32004 for e in errors), errors


def _leaves(exc):
    """The exceptions inside (possibly nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_answer_405(live, method, notes_app):
    key = mcp_key(notes_app)
    resp = httpx.request(method, f"{live.url}/api/mcp", headers={"x-api-key": key})
    assert resp.status_code == 405
    assert resp.headers["Allow"] == "POST"


def test_raw_2025_06_18_handshake_and_call(live, notes_app):
    key = mcp_key(notes_app)
    init = rpc(live.url, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}, key)
    assert init.status_code == 200
    assert rpc_payload(init)["result"]["protocolVersion"] == "2025-06-18"
    call = rpc(live.url, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": "help", "arguments": {}}}, key, **{"MCP-Protocol-Version": "2025-06-18"})
    payload = rpc_payload(call)["result"]
    assert payload["isError"] is False and payload["structuredContent"]["topic"] is None


def test_dns_rebinding_protection(live, notes_app):
    key = mcp_key(notes_app)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert rpc(live.url, body, key, Host="evil.example").status_code == 421
    assert rpc(live.url, body, key, Origin="http://evil.example").status_code == 403
    assert rpc(live.url, body, key, Origin="http://localhost:6274").status_code == 200  # local tools
    assert rpc(live.url, body, key, Origin="http://localhost").status_code == 200  # BASE_URL's origin


def test_tenant_isolation_between_two_accounts(live, notes_app):
    ada = mcp_key(notes_app, "ada@example.com")
    bob = mcp_key(notes_app, "bob@example.com")

    def add(text):
        async def go(client):
            return await client.call_tool("notes_add", {"text": text})
        return go

    async def listing(client):
        return (await client.call_tool("notes_list", {})).structured_content["notes"]

    assert mcp_call(live.url, ada, add("ada's secret")).structured_content["text"] == "ada's secret"
    mcp_call(live.url, bob, add("bob's note"), "legacy")
    assert [n["text"] for n in mcp_call(live.url, ada, listing)] == ["ada's secret"]
    assert [n["text"] for n in mcp_call(live.url, bob, listing, "legacy")] == ["bob's note"]
    owners = {n["owner"] for n in mcp_call(live.url, ada, listing) + mcp_call(live.url, bob, listing)}
    assert len(owners) == 2


def _gunicorn_env(tmp_path):
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(tmp_path), MINAPI_SECRET_KEY="gunicorn-test-secret-000",
               MINAPI_BASE_URL="http://127.0.0.1")
    if ON_POSTGRES:
        env["MINAPI_DATABASE_URL"] = PG_URL
    return env


@pytest.mark.slow
def test_gunicorn_with_three_workers_serves_both_eras(tmp_path, app):
    import subprocess

    from tests.live import minapi_exe

    env = _gunicorn_env(tmp_path)
    subprocess.run([minapi_exe(), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([minapi_exe(), "users", "create", "g@example.com", "--password", "long enough pw"],
                   env=env, check=True, capture_output=True)
    key = subprocess.run([minapi_exe(), "keys", "create-mcp", "g@example.com"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()

    async def sequence(client):
        names = {t.name for t in (await client.list_tools()).tools}
        results = [await client.call_tool("help", {"topic": t}) for t in ("mcp", "keys", "plans", "oauth")]
        return names, [r.structured_content["topic"] for r in results], client.protocol_version

    with gunicorn(env, workers=3) as url:
        for mode in MODES * 3:
            # A new connection per request, so requests of one session land on different workers.
            names, topics, version = mcp_call(url, key, sequence, mode, headers={"Connection": "close"})
            assert "help" in names and version == ERA[mode]
            assert topics == ["mcp", "keys", "plans", "oauth"]
