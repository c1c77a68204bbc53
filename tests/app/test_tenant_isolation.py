"""Tenant isolation: a second account can neither read nor change the first account's things.

Iterates every registered action that names an endpoint, so new families are covered as they
arrive. Each is tried over REST (signed in) and, when it is an MCP tool, over MCP (MCP key),
naming the victim's endpoint by id, slug and name.
"""

import re

import pytest
from marshmallow import fields as mf

from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call, tool_error


@pytest.fixture
def world(app):
    victim = make_owner(app.test_client(), "victim@example.com")
    ep = victim.create_endpoint(name="Secret")
    record = ep.call("POST", json={"item": "private"}).json["id"]
    victim.create_key(ep, "k", read=True)
    attacker = make_owner(app.test_client(), "attacker@example.com")
    attacker.create_endpoint(name="Mine")
    return victim, ep, record, attacker


def dummy(name, field, record_id):
    if name == "record_id":
        return record_id
    if name == "key":
        return "k"
    if isinstance(field, mf.Nested):
        return {"create": False, "read": False, "update": False, "delete": False}
    if isinstance(field, mf.Dict):
        return {"item": "x"}
    if isinstance(field, mf.Boolean):
        return False
    if isinstance(field, mf.Integer):
        return 1
    if name == "email":
        return "someone@example.com"
    if name == "date":
        return "2020-01-01"
    return "x"


def targeted_actions(app):
    return [a for a in app.extensions["minapi.tools"].actions() if "endpoint" in a.args.fields]


def build(action, ref, record_id):
    args = {n: dummy(n, f, record_id) for n, f in action.args.fields.items() if f.required}
    args["endpoint"] = ref
    return args


def rest_call(client, action, args):
    path = re.sub(r"<([a-z_]+)>", lambda m: str(args[m.group(1)]), action.url_rule)
    rest = {k: v for k, v in args.items() if f"<{k}>" not in action.url_rule}
    if action.method in ("GET", "DELETE"):
        return client.api(action.method, path, query_string=rest)
    return client.api(action.method, path, json=rest)


def snapshot(victim, ep):
    return (victim.api("GET", f"/api/v1/endpoints/{ep.slug}").json,
            ep.call("GET").json["data"],
            victim.api("GET", f"/api/v1/collaborators/{ep.slug}/keys").json)


@pytest.mark.parametrize("ref_kind", ["id", "slug", "name"])
def test_every_action_refuses_another_accounts_endpoint_over_rest(app, world, ref_kind):
    victim, ep, record, attacker = world
    before = snapshot(victim, ep)
    ref = {"id": ep.info["id"], "slug": ep.slug, "name": "Secret"}[ref_kind]
    actions = targeted_actions(app)
    assert {"endpoints_get", "endpoints_update", "endpoints_delete", "collaborators_create_key",
            "api_call_get", "api_call_delete", "logs_search", "logs_fetch_archived", "stats_get",
            "archives_list", "archives_download", "archives_delete"} <= {a.tool_name for a in actions}
    for action in actions:
        resp = rest_call(attacker, action, build(action, ref, record))
        assert resp.status_code == 404, (action.tool_name, resp.json)
        assert resp.json["error"]["code"] == "endpoint_not_found", action.tool_name
    assert snapshot(victim, ep) == before


def test_every_mcp_tool_refuses_another_accounts_endpoint(app, world):
    victim, ep, record, attacker = world
    before = snapshot(victim, ep)
    key = mcp_key(app, "attacker@example.com")
    actions = [a for a in targeted_actions(app) if a.exposed_on_mcp]

    async def go(client):
        out = {}
        for action in actions:
            for ref in (ep.info["id"], ep.slug, "Secret"):
                res = await client.call_tool(action.tool_name, build(action, ref, record))
                out[(action.tool_name, ref)] = (res.is_error, tool_error(res)["code"] if res.is_error else None)
        listing = await client.call_tool("endpoints_list", {})
        return out, listing.structured_content

    with LiveServer(app) as server:
        results, listing = mcp_call(server.url, key, go)
    assert results and all(v == (True, "endpoint_not_found") for v in results.values()), results
    assert [e["name"] for e in listing["endpoints"]] == ["Mine"]
    assert snapshot(victim, ep) == before


def test_keys_of_one_account_never_open_anothers_data(app, world):
    victim, ep, record, attacker = world
    mine = attacker.create_endpoint(name="Mine2")
    for key in (mine.sandbox, mine.live):
        resp = ep.call("GET", f"/{record}", key=key)
        assert resp.status_code == 401 and resp.json["error"]["code"] == "invalid_key"
        assert ep.call("POST", key=key, json={"item": "injected"}).status_code == 401
    assert [r["data"]["item"] for r in ep.call("GET").json["data"]] == ["private"]
    listing = attacker.api("GET", "/api/v1/endpoints").json["endpoints"]
    assert "Secret" not in {e["name"] for e in listing}


def test_account_wide_reads_never_show_another_accounts_logs_stats_or_archives(app, world):
    """The actions that take no endpoint: logs_lookup, logs_search, stats_get, subscription_get,
    archives_list. The victim has sandbox and archived production calls; the attacker one call."""
    from app.gateway.models import CallLog
    from plugins.archives.services import archive_logs
    from tests.log_helpers import backdate, days_ago, log_id

    victim, ep, record, attacker = world
    secret_log = victim.api("GET", "/api/v1/logs/lookup", query_string={"record_id": record}).json["logs"][0]["id"]
    assert ep.deploy().status_code == 200
    archived = log_id(ep.call("POST", key=ep.live, json={"item": "archived secret"}))
    backdate(app, CallLog, [archived], created_at=days_ago(40))
    with app.app_context():
        assert archive_logs()["logs"] == 1
    mine = attacker.create_endpoint(name="Mine3", fields=[])
    own_log = log_id(mine.call("POST", json={"item": "mine"}))
    probes = [("GET", "/api/v1/logs/lookup", {"log_id": secret_log}),
              ("GET", "/api/v1/logs/lookup", {"record_id": record})]
    for method, path, params in probes:
        resp = attacker.api(method, path, query_string=params)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "log_not_found"
    resend = attacker.api("POST", f"/api/v1/logs/{secret_log}/resend_webhook")
    assert resend.status_code == 404 and resend.json["error"]["code"] == "log_not_found"
    for params in ({}, {"query": "private"}, {"key": "k"}, {"key": "owner"}, {"environment": "production"}):
        logs = attacker.api("GET", "/api/v1/logs", query_string=params).json["logs"]
        assert {log["id"] for log in logs} <= {own_log}, params
    stats = attacker.api("GET", "/api/v1/stats").json
    assert stats["totals"]["calls"] == 1 and [k["endpoint"] for k in stats["keys"]] == ["Mine3"]
    assert attacker.api("GET", "/api/v1/subscription").json["calls_used"] == 1
    assert attacker.api("GET", "/api/v1/archives").json["archives"] == []
    assert {e["actor"] for e in attacker.api("GET", "/api/v1/activity").json["activity"]} == {"attacker@example.com"}
    for params in ({"actor": "victim@example.com"}, {"action": "api_call_get"}, {"outcome": "success"}):
        rows = attacker.api("GET", "/api/v1/activity", query_string=params).json["activity"]
        assert {e["actor"] for e in rows} <= {"attacker@example.com"}, params
    assert len(victim.api("GET", "/api/v1/archives").json["archives"]) == 1

    key = mcp_key(app, "attacker@example.com")

    async def go(client):
        return {
            "lookup": await client.call_tool("logs_lookup", {"log_id": secret_log}),
            "search": await client.call_tool("logs_search", {"query": "secret"}),
            "stats": await client.call_tool("stats_get", {}),
            "subscription": await client.call_tool("subscription_get", {}),
            "archives": await client.call_tool("archives_list", {}),
            "resend": await client.call_tool("logs_resend_webhook", {"log_id": secret_log}),
            "activity": await client.call_tool("activity_search", {"actor": "victim@example.com"}),
        }

    with LiveServer(app) as server:
        out = mcp_call(server.url, key, go)
    assert tool_error(out["lookup"])["code"] == "log_not_found"
    assert out["search"].structured_content["logs"] == []
    assert out["stats"].structured_content["totals"]["calls"] == 1
    assert out["subscription"].structured_content["calls_used"] == 1
    assert out["archives"].structured_content["archives"] == []
    assert out["activity"].structured_content["activity"] == []
    assert tool_error(out["resend"])["code"] == "log_not_found"


# Actions that name no endpoint, and where their isolation is tested: this test, or the file named.
ENDPOINTLESS = {
    "help": "public, reads no account data",
    "endpoints_list": "test_keys_of_one_account_never_open_anothers_data",
    "endpoints_create": "creates in the caller's own account only",
    "logs_lookup": "above", "logs_search": "above", "logs_resend_webhook": "above", "stats_get": "above",
    "subscription_get": "above", "archives_list": "above",
    "subscription_change_plan": "acts on the caller's own account only (tests/plugins/subscription)",
    "subscription_cancel": "acts on the caller's own account only (tests/plugins/subscription)",
    "mcp_keys_list": "tests/app/auth/test_mcp_keys.py", "mcp_keys_create": "tests/app/auth/test_mcp_keys.py",
    "mcp_keys_regenerate": "tests/app/auth/test_mcp_keys.py", "mcp_keys_delete": "tests/app/auth/test_mcp_keys.py",
    # activity_search names an endpoint (covered by the registry-wide tests) and is probed account-wide above
    "ai_controls": "tests/app/safety/test_policy.py", "ai_freeze": "acts on the caller's own account only",
    "ai_unfreeze": "acts on the caller's own account only",
    "ai_get_key_policy": "tests/app/safety/test_policy.py", "ai_set_key_policy": "tests/app/safety/test_policy.py",
    "ai_get_grant_policy": "tests/app/safety/test_policy.py", "ai_set_grant_policy": "tests/app/safety/test_policy.py",
    "account_update": "tests/app/dashboard/test_pages.py (another account is untouched)",
    "account_delete": "tests/app/dashboard/test_pages.py (another account is untouched)",
}


def test_every_action_without_an_endpoint_argument_has_isolation_coverage(app):
    """A new action that names no endpoint is not covered by the registry-wide tests above: it must
    be added to ENDPOINTLESS with where its isolation is tested."""
    names = {a.tool_name for a in app.extensions["minapi.tools"].actions() if "endpoint" not in a.args.fields}
    assert names <= set(ENDPOINTLESS), sorted(names - set(ENDPOINTLESS))
