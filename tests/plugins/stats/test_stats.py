"""stats_get: the month's sums equal the calls made, by day, by key and per environment."""

import calendar

import pytest

from app.db import utcnow
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call
from tests.log_helpers import deployed


@pytest.fixture
def traffic(client):
    owner = make_owner(client)
    orders = owner.create_endpoint("Orders")
    other = owner.create_endpoint("Other", fields=[])
    helper = owner.create_key(orders, "helper", create=True)["keys"]["sandbox"]
    rid = None
    for i in range(3):
        rid = orders.call("POST", json={"item": f"thing {i}"}).json["id"]
    orders.call("POST", json={"qty": 1})                       # failed write
    orders.call("GET"), orders.call("GET", f"/{rid}")          # reads
    orders.call("PUT", f"/{rid}", json={"item": "changed"})    # write
    orders.call("POST", key=helper, json={"item": "by helper"})
    orders.call("DELETE", f"/{rid}", key=helper)               # failed: no delete right
    deployed(orders)                                           # one more sandbox POST
    orders.call("POST", key=orders.live, json={"item": "live"})
    orders.call("GET", key=orders.live)
    other.call("POST", json={"x": 1})
    return owner, orders, other


def stats(owner, **params):
    resp = owner.api("GET", "/api/v1/stats", query_string=params)
    assert resp.status_code == 200, resp.json
    return resp.json


def logged(owner, **params):
    return owner.api("GET", "/api/v1/logs", query_string={"limit": 100, **params}).json["logs"]


def test_account_wide_month(traffic):
    owner = traffic[0]
    body = stats(owner)
    today = utcnow().date()
    assert body["month"] == today.strftime("%Y-%m") and body["endpoint"] is None and body["environment"] is None
    logs = logged(owner)
    writes = [log for log in logs if log["method"] in ("POST", "PUT", "DELETE")]
    assert body["totals"]["calls"] == len(logs) == 13
    assert body["totals"]["successes"] == sum(log["outcome"] == "success" for log in logs) == 11
    assert body["totals"]["failures"] == 2
    assert body["totals"]["writes"] == len(writes) == 10
    expected_latency = sum(log["latency_ms"] for log in writes) / len(writes)
    assert body["totals"]["average_write_latency_ms"] == pytest.approx(expected_latency, abs=0.01)
    assert len(body["days"]) == calendar.monthrange(today.year, today.month)[1]
    assert [d["date"] for d in body["days"]][0] == today.replace(day=1).isoformat()
    (active,) = [d for d in body["days"] if d["calls"]]
    assert active["date"] == today.isoformat()
    assert {k: active[k] for k in ("calls", "successes", "failures", "writes")} == {
        k: body["totals"][k] for k in ("calls", "successes", "failures", "writes")}
    quiet = next(d for d in body["days"] if d["date"] != today.isoformat())
    assert quiet["calls"] == 0 and quiet["average_write_latency_ms"] is None
    by_key = {(k["endpoint"], k["key"]): (k["calls"], k["successes"], k["failures"]) for k in body["keys"]}
    assert by_key == {("Orders", "owner"): (10, 9, 1), ("Orders", "helper"): (2, 1, 1), ("Other", "owner"): (1, 1, 0)}
    assert sum(k["calls"] for k in body["keys"]) == body["totals"]["calls"]


def test_filters_by_endpoint_and_environment(traffic):
    owner, orders, other = traffic
    live = stats(owner, environment="production")
    assert live["totals"]["calls"] == len(logged(owner, environment="production")) == 2
    assert live["totals"]["writes"] == 1 and live["environment"] == "production"
    one = stats(owner, endpoint=other.slug)
    assert one["endpoint"]["name"] == "Other" and one["totals"]["calls"] == 1
    assert [k["key"] for k in one["keys"]] == ["owner"]
    sandbox_orders = stats(owner, endpoint="Orders", environment="sandbox")
    assert sandbox_orders["totals"]["calls"] == len(logged(owner, endpoint="Orders", environment="sandbox")) == 10


def test_other_months_and_bad_input(traffic):
    owner = traffic[0]
    empty = stats(owner, month="2020-02")
    assert empty["totals"] == {"calls": 0, "successes": 0, "failures": 0, "writes": 0,
                               "average_write_latency_ms": None}
    assert len(empty["days"]) == 29 and empty["keys"] == []
    for bad in ("2020-13", "2020-2", "last month"):
        resp = owner.api("GET", "/api/v1/stats", query_string={"month": bad})
        assert resp.status_code == 400 and "month" in resp.json["error"]["details"]
    resp = owner.api("GET", "/api/v1/stats", query_string={"endpoint": "nope"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "endpoint_not_found"


def test_stats_through_mcp(app, traffic):
    key = mcp_key(app, "owner@example.com", read_only=True)

    async def go(client):
        return await client.call_tool("stats_get", {"endpoint": "Orders", "environment": "sandbox"})

    with LiveServer(app) as server:
        result = mcp_call(server.url, key, go)
    assert not result.is_error and result.structured_content["totals"]["calls"] == 10
