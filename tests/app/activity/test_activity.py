"""The activity trail (SPEC §10): one row per action on every surface, refusals included, no secrets."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from tests.app.safety.conftest import bearer, new_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call, rpc


@pytest.fixture
def ada(app):
    owner = make_owner(app.test_client(), "ada@example.com")
    owner.orders = owner.create_endpoint(name="Orders")
    return owner


def trail(owner, **filters) -> list[dict]:
    resp = owner.api("GET", "/api/v1/activity", query_string=filters)
    assert resp.status_code == 200, resp.json
    return resp.json["activity"]


def test_a_persons_actions_are_recorded_without_secrets(ada):
    hook = {"url": "https://example.com/hook", "auth_header": "X-Token", "auth_value": "s3cret-value"}
    resp = ada.api("PATCH", "/api/v1/endpoints/Orders", json={"description": "mine", "webhook": hook})
    assert resp.status_code == 200, resp.json
    assert ada.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "card 4242"}}).status_code == 200
    bad = ada.api("POST", "/api/v1/endpoints", json={"name": ""})
    assert bad.status_code == 400
    rows = trail(ada)
    assert [(e["action"], e["outcome"], e["error_code"]) for e in rows[:3]] == [
        ("endpoints_create", "failed", "validation_failed"), ("api_call_post", "success", None),
        ("endpoints_update", "success", None)]
    assert {(e["actor_kind"], e["actor"], e["surface"]) for e in rows[:3]} == {("person", "ada@example.com", "rest")}
    update, call = rows[2], rows[1]
    assert update["endpoint"] == "Orders" and update["arguments"]["description"] == "mine"
    assert update["arguments"]["webhook"] == {"url": "https://example.com/hook", "auth_header": "X-Token"}
    assert "data" not in call["arguments"]
    text = ada.api("GET", "/api/v1/activity").get_data(as_text=True)
    assert "s3cret-value" not in text and "4242" not in text
    assert [e["action"] for e in trail(ada, action="endpoints_create")][-1] == "endpoints_create"
    assert trail(ada, outcome="success", action="api_call_post")[0]["endpoint"] == "Orders"


def test_an_mcp_keys_actions_and_refusals_are_recorded(app, ada):
    reader = new_key(ada, "Reader", read_only=True)
    writer = new_key(ada, "Writer")

    async def go(client):
        ok = await client.call_tool("api_call_post", {"endpoint": ada.orders.slug, "data": {"item": "x"}})
        bad = await client.call_tool("api_call_get", {"endpoint": "Orders", "limit": 500})
        return ok, bad

    with LiveServer(app) as server:
        ok, bad = mcp_call(server.url, writer["key"], go)
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "api_call_post", "arguments": {"endpoint": "Orders", "data": {"item": "y"}}}}
        denied = rpc(server.url, body, reader["key"], **{"MCP-Protocol-Version": "2025-11-25"})
    assert ok.is_error is False and bad.is_error is True and denied.status_code == 403
    rest = app.test_client().post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "z"}},
                                  headers=bearer(reader["key"]))
    assert rest.status_code == 403
    rows = trail(ada, actor="Reader")
    assert [(e["action"], e["surface"], e["outcome"], e["error_code"]) for e in rows] == [
        ("api_call_post", "rest", "refused", "insufficient_scope"),
        ("api_call_post", "mcp", "refused", "insufficient_scope")]
    assert {(e["actor_kind"], e["actor_id"]) for e in rows} == {("mcp_key", reader["id"])}
    rows = trail(ada, actor=writer["id"])
    assert [(e["action"], e["outcome"], e["error_code"]) for e in rows] == [
        ("api_call_get", "failed", "validation_failed"), ("api_call_post", "success", None)]
    assert rows[1]["endpoint"] == ada.orders.slug
    assert [e["action"] for e in trail(ada, endpoint="Orders", actor="Writer")] == ["api_call_get", "api_call_post"]
    assert trail(ada, endpoint=ada.orders.info["id"], actor="Writer") == rows  # any name of the endpoint
    assert ada.api("DELETE", f"/api/v1/endpoints/{ada.orders.slug}").status_code == 200
    gone = trail(ada, endpoint="Orders")  # a deleted endpoint's trail is still found by the name it was given
    assert [(e["actor"], e["action"]) for e in gone if e["action"] != "activity_search"] == [("Reader", "api_call_post"), ("Reader", "api_call_post"),
                                                         ("Writer", "api_call_get")]


def test_an_api_calls_row_is_written_with_the_call_and_tells_how_it_ended(app, ada):
    """The api_call tools' row goes out with the data-plane call's own writes: one row per call,
    as the call ended (a logged failure keeps its log and its row), and none kept from writes
    that failed (their row says so instead)."""
    from tests.app.gateway.test_atomicity import DROP, FAIL_LOG_INSERTS, run_sql
    from tests.conftest import ON_POSTGRES

    def calls():
        return [(e["action"], e["outcome"], e["error_code"]) for e in trail(ada, endpoint="Orders")
                if e["action"].startswith("api_call_")]

    assert ada.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "a"}}).status_code == 200
    assert calls() == [("api_call_post", "success", None)]
    missing = ada.api("PUT", "/api/v1/api_call", json={"endpoint": "Orders", "record_id": "rec_missing",
                                                       "data": {"item": "b"}})
    assert missing.status_code == 404, missing.json
    log_id = missing.json["error"]["details"]["log_id"]
    found = ada.api("GET", "/api/v1/logs/lookup", query_string={"log_id": log_id})
    assert found.status_code == 200 and [log["id"] for log in found.json["logs"]] == [log_id], found.json
    assert calls() == [("api_call_put", "failed", missing.json["error"]["code"]), ("api_call_post", "success", None)]
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    run_sql(app, FAIL_LOG_INSERTS[dialect])
    try:
        broken = ada.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "c"}})
    finally:
        run_sql(app, DROP[dialect])
    assert broken.status_code == 500 and broken.json["error"]["code"] == "internal_error"
    assert calls()[0] == ("api_call_post", "failed", "internal_error") and len(calls()) == 3


def test_activity_pages_with_a_cursor_and_filters_by_date(ada):
    for i in range(5):
        ada.api("GET", "/api/v1/endpoints")
    first = ada.api("GET", "/api/v1/activity", query_string={"action": "endpoints_list", "limit": 3}).json
    assert len(first["activity"]) == 3 and first["has_more"] is True
    second = ada.api("GET", "/api/v1/activity", query_string={"action": "endpoints_list", "limit": 3,
                                                              "cursor": first["next_cursor"]}).json
    every = ada.api("GET", "/api/v1/activity", query_string={"action": "endpoints_list"}).json["activity"]
    assert sum(1 for row in every if row["surface"] == "rest") == 5  # the sign-in's APIs page adds a dashboard row
    assert len(second["activity"]) == len(every) - 3 and second["has_more"] is False
    assert second["next_cursor"] is None
    past_the_calendar = base64.urlsafe_b64encode(b"t999999999999999999_1").decode()  # a time no cursor holds
    for cursor in ("garbage", past_the_calendar):
        bad = ada.api("GET", "/api/v1/activity", query_string={"cursor": cursor})
        assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed", cursor
    today = first["activity"][0]["time"][:10]
    assert len(trail(ada, action="endpoints_list", **{"from": today, "to": today})) == len(every)
    assert trail(ada, action="endpoints_list", to="2020-01-01") == []
    for params in ({"from": "yesterday"}, {"outcome": "maybe"}, {"from": "2026-02-01", "to": "2026-01-01"}):
        resp = ada.api("GET", "/api/v1/activity", query_string=params)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "validation_failed", params


def test_one_accounts_activity_is_invisible_to_another(app, ada):
    ada.api("POST", "/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "x"}})
    eve = make_owner(app.test_client(), "eve@example.com")
    eve_key = new_key(eve, "Eve's")["key"]
    seen = [e for e in trail(eve) if e["actor"] != "eve@example.com"]
    assert seen == []
    assert trail(eve, actor="ada@example.com") == []
    for ref in ("Orders", ada.orders.slug, ada.orders.info["id"]):
        resp = eve.api("GET", "/api/v1/activity", query_string={"endpoint": ref})
        assert resp.status_code == 404 and resp.json["error"]["code"] == "endpoint_not_found"

    async def go(client):
        return await client.call_tool("activity_search", {"actor": "ada@example.com"})

    with LiveServer(app) as server:
        res = mcp_call(server.url, eve_key, go)
    assert res.is_error is False and res.structured_content["activity"] == []
    assert trail(ada, actor="ada@example.com")  # Ada's own rows are there


def test_the_worker_prunes_activity_after_90_days(app, ada):
    from sqlalchemy import update

    from app.activity.actions import prune
    from app.activity.models import ActivityEntry
    from app.db import utcnow
    from app.extensions import db

    eve = make_owner(app.test_client(), "eve@example.com")
    for owner in (ada, eve):
        owner.api("GET", "/api/v1/endpoints")
        owner.api("GET", "/api/v1/subscription")
        assert {"endpoints_list", "subscription_get"} <= {e["action"] for e in trail(owner)}  # written by now
    with app.app_context():
        db.session.execute(update(ActivityEntry).where(ActivityEntry.action == "endpoints_list")
                           .values(created_at=utcnow() - timedelta(days=91)))
        db.session.commit()
        assert "activity.prune" in app.extensions["minapi.jobs"].periodics
        prune(None)
        db.session.commit()
    for owner in (ada, eve):  # every account's old rows go, and only those
        actions = {e["action"] for e in trail(owner)}
        assert "endpoints_list" not in actions and "subscription_get" in actions


def test_activity_can_be_switched_off_for_measuring(make_app):
    app = make_app(ACTIVITY_ENABLED=False)
    owner = make_owner(app.test_client(), "ada@example.com")
    owner.api("GET", "/api/v1/endpoints")
    assert trail(owner) == []


def test_a_reads_row_reaches_the_database_without_anyone_reading_the_trail(app, ada):
    """A read's row waits in its process for a moment, then is written: another server on the same
    database (a second app, as a second worker would be) sees it without this one being asked."""
    import time

    from app import create_app
    from tests.conftest import base_config

    reader = new_key(ada, "Reader", read_only=True)
    second = create_app(base_config(app.instance_path, DATABASE_URL=app.config["DATABASE_URL"])).test_client()
    assert ada.api("GET", "/api/v1/subscription").status_code == 200
    deadline = time.monotonic() + 5
    while True:
        resp = second.get("/api/v1/activity", query_string={"action": "subscription_get"}, headers=bearer(reader["key"]))
        assert resp.status_code == 200, resp.json
        rows = [(e["actor"], e["surface"]) for e in resp.json["activity"]]
        if ("ada@example.com", "rest") in rows or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert ("ada@example.com", "rest") in rows


def test_a_hostile_name_is_on_the_trail_and_holds_up_nothing(app, ada):
    """A refused call naming an endpoint with a NUL and a lone surrogate is recorded (as text any
    database stores), and the calls after it are recorded too."""
    from tests.hostile import tool_result

    key = new_key(ada, "Fuzzer")["key"]
    client = app.test_client()
    refused = tool_result(client, key, "api_call_get", {"endpoint": "bad\x00name\ud800"})
    assert refused["isError"] is True
    assert tool_result(client, key, "endpoints_list", {})["isError"] is False
    rows = trail(ada, actor="Fuzzer")
    assert [(e["action"], e["outcome"]) for e in rows] == [("endpoints_list", "success"), ("api_call_get", "failed")]
    assert rows[1]["endpoint"] == rows[1]["arguments"]["endpoint"] == "badname?"
