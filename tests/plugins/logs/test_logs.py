"""logs_lookup and logs_search over calls made through the real gateway, on REST and MCP."""

import pytest

from app.gateway.models import CallLog
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call, tool_error
from tests.log_helpers import backdate, days_ago, deployed, log_id


@pytest.fixture
def calls(client):
    """An owner with two endpoints and a known set of calls; returns (owner, endpoints, ids by name)."""
    owner = make_owner(client)
    orders = owner.create_endpoint("Orders")
    other = owner.create_endpoint("Other", fields=[])
    helper = owner.create_key(orders, "helper", create=True, read=True)
    ids = {}
    created = orders.call("POST", json={"item": "blue widget", "qty": 2})
    ids["create"], ids["record"] = log_id(created), created.json["id"]
    ids["get"] = log_id(orders.call("GET", f"/{ids['record']}"))
    ids["replace"] = log_id(orders.call("PUT", f"/{ids['record']}", json={"item": "red widget"}))
    ids["invalid"] = log_id(orders.call("POST", json={"qty": 1}))  # validation_failed
    ids["helper"] = log_id(orders.call("POST", key=helper["keys"]["sandbox"], json={"item": "green gadget"}))
    ids["denied"] = log_id(orders.call("DELETE", f"/{ids['record']}", key=helper["keys"]["sandbox"]))
    deployed(orders)
    ids["live"] = log_id(orders.call("POST", key=orders.live, json={"item": "live widget"}))
    ids["other"] = log_id(other.call("POST", json={"anything": "goes widget"}))
    return owner, orders, other, ids


def search(owner, **params):
    resp = owner.api("GET", "/api/v1/logs", query_string=params)
    assert resp.status_code == 200, resp.json
    return resp.json


def found(owner, **params):
    return [log["id"] for log in search(owner, **params)["logs"]]


def test_lookup_by_log_id_shows_the_whole_call(calls):
    owner, orders, _, ids = calls
    resp = owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": ids["create"]})
    assert resp.status_code == 200
    (log,) = resp.json["logs"]
    assert log["id"] == ids["create"] and log["record_id"] == ids["record"]
    assert log["endpoint_id"] == orders.info["id"]
    assert (log["environment"], log["method"], log["action"], log["status_code"], log["outcome"]) == (
        "sandbox", "POST", "create", 201, "success")
    assert log["key"] == "owner" and log["payload"] == {"item": "blue widget", "qty": 2}
    assert log["via"] == "http" and log["latency_ms"] >= 0 and log["created_at"].endswith("Z")
    failed = owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": ids["invalid"]}).json["logs"][0]
    assert failed["outcome"] == "failed" and failed["error_code"] == "validation_failed"


def test_lookup_by_record_id_lists_its_calls_newest_first(calls):
    owner, _, _, ids = calls
    resp = owner.api("GET", "/api/v1/logs/lookup", query_string={"record_id": ids["record"]})
    assert [log["id"] for log in resp.json["logs"]] == [ids["denied"], ids["replace"], ids["get"], ids["create"]]
    assert resp.json["has_more"] is False


@pytest.mark.parametrize("params, code", [
    ({}, "validation_failed"),
    ({"log_id": "log_x", "record_id": "rec_x"}, "validation_failed"),
    ({"log_id": "log_nope"}, "log_not_found"),
    ({"record_id": "rec_nope"}, "log_not_found"),
])
def test_lookup_errors(calls, params, code):
    resp = calls[0].api("GET", "/api/v1/logs/lookup", query_string=params)
    assert resp.json["error"]["code"] == code and resp.status_code in (400, 404)


def test_search_filters(calls):
    owner, orders, other, ids = calls
    everything = found(owner, limit=100)
    assert set(ids.values()) - {ids["record"]} <= set(everything)
    assert everything[0] == ids["other"]
    assert found(owner, query="widget", limit=100) == [ids["other"], ids["live"], ids["replace"], ids["create"]]
    assert found(owner, query="widget blue") == [ids["create"]]
    assert found(owner, query="validation_failed") == [ids["invalid"]]
    assert ids["other"] not in found(owner, endpoint="Orders", limit=100)
    assert found(owner, endpoint=other.slug) == [ids["other"]]
    assert found(owner, environment="production") == [ids["live"]]
    assert ids["live"] not in found(owner, environment="sandbox", limit=100)
    assert found(owner, status="failed") == [ids["denied"], ids["invalid"]]
    assert ids["invalid"] not in found(owner, status="success", limit=100)
    assert found(owner, key="helper") == [ids["denied"], ids["helper"]]
    helper_id = next(k["id"] for k in owner.api("GET", f"/api/v1/collaborators/{orders.slug}/keys").json["keys"])
    assert found(owner, key=helper_id, endpoint="Orders") == [ids["denied"], ids["helper"]]
    assert found(owner, key="helper", endpoint="Other") == []
    owner_calls = found(owner, key="owner", limit=100)
    assert ids["create"] in owner_calls and ids["other"] in owner_calls and ids["helper"] not in owner_calls
    assert found(owner, key="helper", status="failed", query="DELETE") == [ids["denied"]]


def test_search_pages_with_a_cursor(calls):
    owner = calls[0]
    everything = found(owner, limit=100)
    seen, cursor = [], None
    while True:
        page = search(owner, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [log["id"] for log in page["logs"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == everything and len(seen) > 6
    bad = owner.api("GET", "/api/v1/logs", query_string={"cursor": "bm9wZQ"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"


def test_date_range_on_created_or_processed_time(app, calls):
    owner, _, _, ids = calls
    backdate(app, CallLog, [ids["create"]], created_at=days_ago(10), processed_at=days_ago(1))
    backdate(app, CallLog, [ids["get"]], created_at=days_ago(10), processed_at=days_ago(10))
    since = days_ago(5).isoformat()
    by_created = found(owner, **{"from": since, "limit": 100})
    assert ids["create"] not in by_created and ids["get"] not in by_created and ids["replace"] in by_created
    by_processed = found(owner, **{"from": since, "date_basis": "processed", "limit": 100})
    assert ids["create"] in by_processed and ids["get"] not in by_processed
    old = found(owner, **{"to": since, "limit": 100})
    assert set(old) == {ids["create"], ids["get"]}
    day = days_ago(10).date().isoformat()  # a bare date is midnight UTC
    assert set(found(owner, **{"from": day, "to": days_ago(9).isoformat()})) == {ids["create"], ids["get"]}
    bad = owner.api("GET", "/api/v1/logs", query_string={"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json["error"]["details"]
    reversed_range = owner.api("GET", "/api/v1/logs", query_string={"from": since, "to": days_ago(9).isoformat()})
    assert reversed_range.status_code == 400


def test_lookup_and_search_through_mcp(app, calls):
    owner, orders, _, ids = calls
    key = mcp_key(app, "owner@example.com", read_only=True)

    async def go(client):
        one = await client.call_tool("logs_lookup", {"log_id": ids["create"]})
        hits = await client.call_tool("logs_search", {"query": "widget", "environment": "sandbox",
                                                      "endpoint": "Orders", "limit": 1})
        more = await client.call_tool("logs_search", {"query": "widget", "environment": "sandbox",
                                                      "cursor": hits.structured_content["next_cursor"]})
        missing = await client.call_tool("logs_lookup", {"log_id": "log_missing"})
        tools = {t.name: t for t in (await client.list_tools()).tools}
        return one, hits, more, missing, tools

    with LiveServer(app) as server:
        one, hits, more, missing, tools = mcp_call(server.url, key, go)
    assert one.structured_content["logs"][0]["payload"] == {"item": "blue widget", "qty": 2}
    assert [log["id"] for log in hits.structured_content["logs"]] == [ids["replace"]]
    assert [log["id"] for log in more.structured_content["logs"]] == [ids["create"]]
    assert tool_error(missing)["code"] == "log_not_found"
    assert tools["logs_search"].annotations.read_only_hint is True
    assert "from" in tools["logs_search"].input_schema["properties"]
