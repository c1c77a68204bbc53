"""api_call: the user's own endpoint through the gateway, over REST and MCP, logged like any call."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call, tool_error


@pytest.fixture
def ep(client):
    return make_owner(client).create_endpoint()


def test_rest_flow_sandbox_then_production(ep):
    o = ep.owner
    post = o.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "via tool"}}).json
    assert post["status"] == 201 and post["log_id"].startswith("log_")
    rid = post["body"]["id"]
    got = o.api("GET", "/api/v1/api_call", query_string={"endpoint": ep.slug, "record_id": rid}).json
    assert got["body"]["data"] == {"item": "via tool"}
    found = o.api("GET", "/api/v1/api_call", query_string={"endpoint": ep.slug, "query": "tool"}).json
    assert [r["id"] for r in found["body"]["data"]] == [rid]
    put = o.api("PUT", "/api/v1/api_call", json={"endpoint": ep.slug, "record_id": rid, "data": {"item": "v2"}})
    assert put.json["body"]["data"] == {"item": "v2"}
    deleted = o.api("DELETE", "/api/v1/api_call", query_string={"endpoint": ep.slug, "record_id": rid}).json
    assert deleted == {"status": 204, "log_id": deleted["log_id"], "body": None}
    early = o.api("POST", "/api/v1/api_call", json={"endpoint": ep.slug, "environment": "production",
                                                    "data": {"item": "x"}})
    assert early.status_code == 403 and early.json["error"]["code"] == "not_deployed"
    ep.deploy()
    live = o.api("POST", "/api/v1/api_call", json={"endpoint": ep.slug, "environment": "production",
                                                   "data": {"item": "live"}}).json
    assert live["body"]["environment"] == "production"
    assert [r["data"]["item"] for r in ep.call("GET", key=ep.live).json["data"]] == ["live"]


def test_failed_call_is_an_error_but_still_logged_and_counted(app, ep):
    resp = ep.owner.api("POST", "/api/v1/api_call", json={"endpoint": ep.slug, "data": {"qty": 1}})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "validation_failed"
    log_id = resp.json["error"]["details"]["log_id"]
    assert resp.json["error"]["details"]["item"] == ["required field is missing"]
    with app.app_context():
        row = db.session.execute(text("SELECT outcome, error_code, via FROM call_logs WHERE id = :i"),
                                 {"i": log_id}).one()
        failures = db.session.execute(text("SELECT sum(failures) FROM usage_daily")).scalar()
    assert tuple(row) == ("failed", "validation_failed", "api_call")
    assert failures == 1


def test_the_same_flow_through_mcp(app, ep):
    key = mcp_key(app, "owner@example.com")
    with LiveServer(app) as server:
        async def flow(client):
            made = (await client.call_tool("endpoints_create", {
                "name": "Signups", "fields": [{"name": "email", "type": "string", "required": True}]})).structured_content
            assert made["owner_keys"]["sandbox"].startswith("tm_test_")
            bad = await client.call_tool("api_call_post", {"endpoint": "Signups", "data": {"name": "x"}})
            assert tool_error(bad)["code"] == "validation_failed"
            early = await client.call_tool("endpoints_deploy", {"endpoint": "Signups"})
            assert tool_error(early)["code"] == "sandbox_untested"
            ok = await client.call_tool("api_call_post", {"endpoint": "Signups", "data": {"email": "a@b.c"}})
            assert ok.structured_content["status"] == 201
            deployed = (await client.call_tool("endpoints_deploy", {"endpoint": "Signups"})).structured_content
            assert deployed["version"] == 1
            live = await client.call_tool("api_call_post", {"endpoint": "Signups", "environment": "production",
                                                            "data": {"email": "live@b.c"}})
            rid = live.structured_content["body"]["id"]
            one = await client.call_tool("api_call_get", {"endpoint": "Signups", "environment": "production",
                                                          "record_id": rid})
            assert one.structured_content["body"]["data"] == {"email": "live@b.c"}
            await client.call_tool("api_call_put", {"endpoint": "Signups", "environment": "production",
                                                    "record_id": rid, "data": {"email": "new@b.c"}})
            listing = await client.call_tool("endpoints_list", {})
            assert {e["name"] for e in listing.structured_content["endpoints"]} == {"Orders", "Signups"}
            key_made = await client.call_tool("collaborators_create_key", {
                "endpoint": "Signups", "name": "reader",
                "permissions": {"create": False, "read": True, "update": False, "delete": False}})
            gone = await client.call_tool("api_call_delete", {"endpoint": "Signups", "environment": "production",
                                                              "record_id": rid})
            assert gone.structured_content["status"] == 204
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return made, key_made.structured_content, tools

        made, collab, tools = mcp_call(server.url, key, flow)
    assert tools["api_call_put"].annotations.destructive_hint is True
    assert tools["api_call_delete"].annotations.destructive_hint is True
    assert tools["api_call_post"].annotations.destructive_hint is False
    assert tools["api_call_get"].annotations.read_only_hint is True
    reader = collab["keys"]["sandbox"]
    client = app.test_client()
    slug = made["slug"]
    assert client.get(f"/api/v1/data/{slug}", headers={"Authorization": f"Bearer {reader}"}).status_code == 200
    denied = client.post(f"/api/v1/data/{slug}", json={"email": "x@y.z"}, headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403 and denied.json["error"]["code"] == "permission_denied"
