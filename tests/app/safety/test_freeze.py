"""The AI write freeze (SPEC §10): one switch, session only, seen by every AI credential at once."""

from __future__ import annotations

from tests.app.safety.conftest import bearer, new_key
from tests.live import LiveServer, mcp_call


def test_freeze_and_unfreeze_are_for_a_signed_in_person_only(app, ada):
    key = new_key(ada)["key"]
    rest = app.test_client()
    for path in ("/api/v1/ai/freeze", "/api/v1/ai/unfreeze"):
        resp = rest.post(path, headers=bearer(key))
        assert resp.status_code == 403 and resp.json["error"]["code"] == "session_required"
    assert ada.api("GET", "/api/v1/ai").json["ai_writes_frozen"] is False
    no_csrf = ada.client.post("/api/v1/ai/freeze")  # a browser session without the token: refused
    assert no_csrf.status_code == 403 and no_csrf.json["error"]["code"] == "csrf_failed"
    assert ada.api("POST", "/api/v1/ai/freeze").json == {"ai_writes_frozen": True}
    assert ada.api("GET", "/api/v1/ai").json["ai_writes_frozen"] is True
    assert ada.api("POST", "/api/v1/ai/unfreeze").json == {"ai_writes_frozen": False}
    async def tools(client):
        return {t.name for t in (await client.list_tools()).tools}

    with LiveServer(app) as server:
        names = mcp_call(server.url, key, tools)
    assert not {n for n in names if n.startswith("ai_")}  # never an MCP tool


def test_a_live_sdk_client_sees_the_freeze_mid_conversation(app, ada):
    key = new_key(ada)["key"]

    async def conversation(client):
        seen = {"before": await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {"item": "a"}})}
        assert ada.api("POST", "/api/v1/ai/freeze").status_code == 200  # the person flips the switch
        seen["write"] = await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {"item": "b"}})
        seen["config"] = await client.call_tool("endpoints_update", {"endpoint": "Notes", "description": "x"})
        seen["read"] = await client.call_tool("api_call_get", {"endpoint": "Orders"})
        seen["help"] = await client.call_tool("help", {})
        seen["subscription"] = await client.call_tool("subscription_get", {})
        assert ada.api("POST", "/api/v1/ai/unfreeze").status_code == 200
        seen["after"] = await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {"item": "c"}})
        return seen

    with LiveServer(app) as server:
        seen = mcp_call(server.url, key, conversation)
    assert seen["before"].is_error is False
    for name in ("write", "config"):
        assert seen[name].is_error is True
        assert '"code": "ai_writes_frozen"' in seen[name].content[0].text
    assert seen["read"].is_error is False
    assert [r["data"]["item"] for r in seen["read"].structured_content["body"]["data"]] == ["a"]
    assert seen["help"].structured_content["ai_writes_frozen"] is True
    assert "AI writes are frozen" in seen["help"].structured_content["text"]
    assert seen["subscription"].structured_content["ai_writes_frozen"] is True
    assert seen["after"].is_error is False
    items = [r["data"]["item"] for r in ada.orders.call("GET").json["data"]]
    assert items == ["c", "a"]  # the frozen write never happened

    refused = ada.api("GET", "/api/v1/activity", query_string={"outcome": "refused"}).json["activity"]
    assert [(e["action"], e["error_code"], e["surface"], e["actor"]) for e in refused] == [
        ("endpoints_update", "ai_writes_frozen", "mcp", "Claude Code"),
        ("api_call_post", "ai_writes_frozen", "mcp", "Claude Code")]
    assert "data" not in refused[1]["arguments"] and refused[1]["arguments"]["endpoint"] == "Orders"


def test_frozen_writes_over_rest_with_an_mcp_key_are_403(app, ada):
    key = new_key(ada)["key"]
    rest = app.test_client()
    ada.api("POST", "/api/v1/ai/freeze")
    resp = rest.post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "x"}}, headers=bearer(key))
    assert resp.status_code == 403 and resp.json["error"]["code"] == "ai_writes_frozen"
    bad = rest.post("/api/v1/endpoints", json={"name": ""}, headers=bearer(key))  # frozen beats invalid
    assert bad.status_code == 403 and bad.json["error"]["code"] == "ai_writes_frozen"
    assert rest.get("/api/v1/endpoints", headers=bearer(key)).status_code == 200
    # The person is never frozen: the dashboard session still writes.
    assert ada.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "y"}}).status_code == 200
    assert rest.get("/api/v1/help", headers=bearer(key)).json["ai_writes_frozen"] is True
    assert rest.get("/api/v1/help").json["ai_writes_frozen"] is False  # anonymous: no account to speak of
