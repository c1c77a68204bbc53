"""subscription_get matches the calls made and the plan; plan changes are for people, when allowed."""

from datetime import datetime, timedelta

import httpx
import pytest

from app import ConfigError, create_app
from tests.conftest import base_config, mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call


def subscription(owner):
    resp = owner.api("GET", "/api/v1/subscription")
    assert resp.status_code == 200, resp.json
    return resp.json


def test_usage_and_plan_of_a_free_account(client):
    owner = make_owner(client)
    ep = owner.create_endpoint()
    for i in range(4):
        ep.call("POST", json={"item": str(i)})
    ep.call("POST", json={})                                         # failed calls count too
    ep.call("GET", key="tm_test_" + "x" * 40)                        # refused before the endpoint: not counted
    body = subscription(owner)
    assert (body["plan"], body["price"], body["calls_per_cycle"], body["endpoint_lifetime_days"]) == ("free", 0, 1000, 7)
    assert body["calls_used"] == 5 and body["calls_remaining"] == 995
    assert body["overage_calls"] == 0 and body["overage_cost"] == 0 and body["overage_price"] is None
    start, end = (datetime.fromisoformat(body[k]) for k in ("cycle_start", "cycle_end"))
    assert end - start == timedelta(days=30) and start <= datetime.now(start.tzinfo) < end
    assert body["self_service"] is False
    assert [p["name"] for p in body["plans"]] == ["free", "basic", "pro", "enterprise"]


def test_overage_is_counted_and_priced(make_app):
    plans = {"free": {"calls": 1000, "price": 0, "endpoint_lifetime_days": 7},
             "enterprise": {"calls": 2, "price": 100, "overage_price": 0.25}}
    app = make_app(PLANS=plans)
    owner = make_owner(app.test_client())
    result = app.test_cli_runner().invoke(args=["users", "set-plan", "owner@example.com", "enterprise"])
    assert result.exit_code == 0, result.output
    ep = owner.create_endpoint()
    for i in range(5):
        assert ep.call("POST", json={"item": str(i)}).status_code == 201
    body = subscription(owner)
    assert (body["plan"], body["calls_used"], body["calls_remaining"]) == ("enterprise", 5, 0)
    assert body["overage_calls"] == 3 and body["overage_cost"] == pytest.approx(0.75)
    assert body["endpoint_lifetime_days"] is None


def test_plan_changes_are_refused_unless_self_service(client):
    owner = make_owner(client)
    for path, body in (("/api/v1/subscription/change_plan", {"plan": "pro"}), ("/api/v1/subscription/cancel", {})):
        resp = owner.api("POST", path, json=body)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "self_service_disabled"
        assert "minapi users set-plan" in resp.json["error"]["message"]
    assert subscription(owner)["plan"] == "free"


def test_self_service_change_and_cancel(make_app):
    app = make_app(SELF_SERVICE_PLANS=True)
    owner = make_owner(app.test_client())
    changed = owner.api("POST", "/api/v1/subscription/change_plan", json={"plan": "pro"})
    assert changed.status_code == 200 and changed.json["plan"] == "pro" and changed.json["calls_per_cycle"] == 300_000
    assert subscription(owner)["plan"] == "pro"
    unknown = owner.api("POST", "/api/v1/subscription/change_plan", json={"plan": "platinum"})
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_plan"
    no_csrf = owner.client.post("/api/v1/subscription/cancel", json={})
    assert no_csrf.status_code == 403 and no_csrf.json["error"]["code"] == "csrf_failed"
    cancelled = owner.api("POST", "/api/v1/subscription/cancel", json={})
    assert cancelled.status_code == 200 and cancelled.json["plan"] == "free"


def test_ai_credentials_read_the_subscription_but_never_change_it(make_app):
    app = make_app(SELF_SERVICE_PLANS=True)
    make_owner(app.test_client())
    key = mcp_key(app, "owner@example.com")

    async def go(client):
        tools = {t.name for t in (await client.list_tools()).tools}
        return tools, await client.call_tool("subscription_get", {})

    with LiveServer(app) as server:
        tools, got = mcp_call(server.url, key, go)
        for path, body in (("/api/v1/subscription/change_plan", {"plan": "pro"}), ("/api/v1/subscription/cancel", {})):
            resp = httpx.post(server.url + path, json=body, headers={"x-api-key": key})
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "session_required"
    assert "subscription_get" in tools
    assert not {"subscription_change_plan", "subscription_cancel"} & tools
    assert got.structured_content["plan"] == "free" and got.structured_content["self_service"] is True


def test_self_service_setting_is_validated(tmp_path):
    with pytest.raises(ConfigError, match="SELF_SERVICE_PLANS"):
        create_app(base_config(tmp_path, SELF_SERVICE_PLANS="sometimes"))
