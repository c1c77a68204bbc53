"""stats_get: the month's sums equal the calls made, by day, by key and per environment."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call
from app.extensions import db
from app.gateway.models import UsageDaily
from tests.log_helpers import backdate, deployed


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
    assert body["to"] == today.isoformat()  # through today by default, no future days
    (active,) = body["days"]  # only days with calls
    assert active["date"] == today.isoformat()
    assert {k: active[k] for k in ("calls", "successes", "failures", "writes")} == {
        k: body["totals"][k] for k in ("calls", "successes", "failures", "writes")}
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
    assert empty["days"] == [] and empty["keys"] == [] and empty["to"] == "2020-02-29"
    for bad in ("2020-13", "2020-2", "last month"):
        resp = owner.api("GET", "/api/v1/stats", query_string={"month": bad})
        assert resp.status_code == 400 and "month" in resp.json["error"]["details"]
    for bad in ({"to": "2020-13-01"}, {"to": "yesterday"}, {"month": "2020-02", "to": "2020-03-01"}):
        resp = owner.api("GET", "/api/v1/stats", query_string=bad)
        assert resp.status_code == 400 and "to" in resp.json["error"]["details"], bad
    resp = owner.api("GET", "/api/v1/stats", query_string={"endpoint": "nope"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "endpoint_not_found"


def test_stats_through_mcp(app, traffic):
    key = mcp_key(app, "owner@example.com", read_only=True)

    async def go(client):
        return await client.call_tool("stats_get", {"endpoint": "Orders", "environment": "sandbox"})

    with LiveServer(app) as server:
        result = mcp_call(server.url, key, go)
    assert not result.is_error and result.structured_content["totals"]["calls"] == 10


def test_through_a_day(app, traffic):
    """`to` ends the count at a day: "this month through yesterday" is one call."""
    owner, orders, other = traffic
    today = utcnow().date()
    yesterday = today - timedelta(days=1)
    with app.app_context():
        moved = db.session.scalars(select(UsageDaily.id).where(UsageDaily.endpoint_id == other.info["id"])).all()
    backdate(app, UsageDaily, moved, day=yesterday)  # Other's one call was made yesterday
    through = stats(owner, to=yesterday.isoformat())
    assert through["month"] == yesterday.strftime("%Y-%m") and through["to"] == yesterday.isoformat()
    assert through["totals"]["calls"] == 1 and [d["date"] for d in through["days"]] == [yesterday.isoformat()]
    assert [(k["endpoint"], k["key"], k["calls"]) for k in through["keys"]] == [("Other", "owner", 1)]
    assert stats(owner, to=f"{yesterday.isoformat()}T23:59:00Z") == through  # a time means its UTC day
    now = stats(owner)
    same_month = yesterday.month == today.month
    assert now["totals"]["calls"] == (13 if same_month else 12)
    assert [d["date"] for d in now["days"]] == ([yesterday.isoformat()] if same_month else []) + [today.isoformat()]


def test_through_yesterday_over_mcp(app, traffic):
    key = mcp_key(app, "owner@example.com", read_only=True)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()

    async def go(client):
        return await client.call_tool("stats_get", {"to": yesterday})

    with LiveServer(app) as server:
        result = mcp_call(server.url, key, go)
    assert not result.is_error and result.structured_content["to"] == yesterday
    assert result.structured_content["totals"]["calls"] == 0  # every traffic call was made today
