"""Per-credential policies (SPEC §10): a person narrows an MCP key or an OAuth grant after the fact."""

from __future__ import annotations

import json

import pytest

from tests.app.auth.oauth.support import PASSWORD, Person, live_app, make_account, obtain_tokens
from tests.app.safety.conftest import bearer, new_key
from tests.conftest import csrf_from
from tests.gateway_helpers import Owner
from tests.live import LiveServer, mcp_call


def error_of(res) -> dict:
    assert res.is_error is True
    return json.loads(res.content[0].text)["error"]


def test_a_read_only_policy_on_a_read_write_key(app, ada):
    made = new_key(ada, "Cursor")
    assert made["scopes"] == ["mcp:read", "mcp:write"]
    resp = ada.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json={"access": "read"})
    assert resp.status_code == 200, resp.json
    assert (resp.json["access"], resp.json["effective_access"]) == ("read", "read")

    async def go(client):
        return {"write": await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {"item": "x"}}),
                "create": await client.call_tool("endpoints_create", {"name": "New"}),
                "read": await client.call_tool("endpoints_list", {})}

    with LiveServer(app) as server:
        out = mcp_call(server.url, made["key"], go)
    for name in ("write", "create"):
        err = error_of(out[name])
        assert err["code"] == "outside_policy" and err["details"] == {"rule": "access"}
        assert "rule: access" in err["message"]
    assert out["read"].is_error is False and len(out["read"].structured_content["endpoints"]) == 2
    rest = app.test_client().post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "x"}},
                                  headers=bearer(made["key"]))
    assert rest.status_code == 403 and rest.json["error"]["code"] == "outside_policy"
    assert ada.orders.call("GET").json["data"] == []
    refused = ada.api("GET", "/api/v1/activity", query_string={"actor": "Cursor", "outcome": "refused"}).json
    assert [(e["action"], e["error_code"], e["surface"]) for e in refused["activity"]] == [
        ("api_call_post", "outside_policy", "rest"), ("endpoints_create", "outside_policy", "mcp"),
        ("api_call_post", "outside_policy", "mcp")]


def test_a_policy_never_widens_a_read_only_key(app, ada):
    made = new_key(ada, "Reader", read_only=True)
    resp = ada.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json={"access": "read_write"})
    assert resp.status_code == 200 and resp.json["effective_access"] == "read"
    write = app.test_client().post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "x"}},
                                   headers=bearer(made["key"]))
    assert write.status_code == 403 and write.json["error"]["code"] == "insufficient_scope"
    assert ada.orders.call("GET").json["data"] == []


def test_sandbox_only_policy_refuses_production(app, ada):
    made = new_key(ada)
    ada.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json={"environments": "sandbox"})
    rest = app.test_client()
    prod = rest.get("/api/v1/api_call", query_string={"endpoint": "Orders", "environment": "production"},
                    headers=bearer(made["key"]))
    assert prod.status_code == 403 and prod.json["error"]["details"] == {"rule": "environments"}
    sandbox = rest.get("/api/v1/api_call", query_string={"endpoint": "Orders"}, headers=bearer(made["key"]))
    assert sandbox.status_code == 200 and sandbox.json["status"] == 200


@pytest.mark.parametrize("body, field", [({"access": "admin"}, "access"), ({"environments": "prod"}, "environments"),
                                         ({"endpoints": ["Nope"]}, "endpoints"), ({"endpoints": "Orders"}, "endpoints")])
def test_bad_policies_are_validation_errors(ada, body, field):
    made = new_key(ada)
    resp = ada.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json=body)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "validation_failed"
    assert field in resp.json["error"]["details"]


def test_policies_are_set_by_a_person_only_and_only_on_own_credentials(app, ada):
    made = new_key(ada)
    own = app.test_client().put(f"/api/v1/ai/keys/{made['id']}/policy", json={"access": "read_write"},
                                headers=bearer(made["key"]))
    assert own.status_code == 403 and own.json["error"]["code"] == "session_required"
    from tests.gateway_helpers import make_owner

    other = make_owner(app.test_client(), "eve@example.com")
    resp = other.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json={"access": "read"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "key_not_found"
    assert other.api("GET", f"/api/v1/ai/grants/og_nope/policy").json["error"]["code"] == "grant_not_found"


def sign_in(client, email="ada@example.com") -> Owner:
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return Owner(client, csrf_from(client, "/"))


def test_an_oauth_grant_narrowed_to_one_endpoint_sees_only_that_one(make_app):
    with live_app(make_app) as (app, base):
        make_account(app)
        person = sign_in(app.test_client())
        orders = person.create_endpoint(name="Orders")
        notes = person.create_endpoint(name="Notes", fields=[])
        note_log = notes.call("POST", json={"text": "private"}).json["id"]
        token = obtain_tokens(base, Person(base))["access_token"]
        grants = [c for c in person.api("GET", "/api/v1/ai").json["credentials"] if c["credential_kind"] == "oauth"]
        assert len(grants) == 1 and grants[0]["name"] == "Hand Client"
        resp = person.api("PUT", f"/api/v1/ai/grants/{grants[0]['credential_id']}/policy",
                          json={"endpoints": [orders.slug]})
        assert resp.status_code == 200 and resp.json["endpoints"] == [orders.info["id"]]
        assert person.api("GET", f"/api/v1/ai/grants/{grants[0]['credential_id']}/policy").json["endpoints"] == [
            orders.info["id"]]

        async def go(client):
            return {"list": await client.call_tool("endpoints_list", {}),
                    "get_notes": await client.call_tool("endpoints_get", {"endpoint": "Notes"}),
                    "post_notes": await client.call_tool("api_call_post", {"endpoint": "Notes", "data": {"t": 1}}),
                    "post_orders": await client.call_tool("api_call_post",
                                                          {"endpoint": "Orders", "data": {"item": "ok"}}),
                    "create": await client.call_tool("endpoints_create", {"name": "Sneaky"}),
                    "logs_all": await client.call_tool("logs_search", {}),
                    "lookup_notes": await client.call_tool("logs_lookup", {"record_id": note_log})}

        out = mcp_call(base, None, go, headers={"Authorization": f"Bearer {token}"})
        assert [e["name"] for e in out["list"].structured_content["endpoints"]] == ["Orders"]
        for name in ("get_notes", "post_notes", "create", "logs_all"):
            err = error_of(out[name])
            assert (err["code"], err["details"]) == ("outside_policy", {"rule": "endpoints"}), name
        assert error_of(out["lookup_notes"])["code"] == "log_not_found"
        assert out["post_orders"].is_error is False and out["post_orders"].structured_content["status"] == 201
        # the quota headroom, read with the token: the Notes call before, then the Orders call
        assert [out[n].meta["minapi/quota"]["used"] for n in ("list", "post_notes", "post_orders", "logs_all")] == [
            1, 1, 2, 2]
        assert [r["data"] for r in notes.call("GET").json["data"]] == [{"text": "private"}]
        names = {e["name"] for e in person.api("GET", "/api/v1/endpoints").json["endpoints"]}
        assert names == {"Orders", "Notes"}  # the person is never narrowed

        trail = person.api("GET", "/api/v1/activity", query_string={"actor": "Hand Client"}).json["activity"]
        assert {(e["action"], e["outcome"]) for e in trail} >= {
            ("endpoints_list", "success"), ("endpoints_get", "refused"), ("api_call_post", "refused"),
            ("api_call_post", "success"), ("endpoints_create", "refused")}
        assert {e["actor_kind"] for e in trail} == {"oauth"} and {e["surface"] for e in trail} == {"mcp"}


def test_the_policy_of_a_deleted_key_is_pruned(app, ada):
    from sqlalchemy import select

    from app.extensions import db
    from app.safety.actions import prune
    from app.safety.models import AiControl

    kept, gone = new_key(ada, "kept"), new_key(ada, "gone")
    for made in (kept, gone):
        assert ada.api("PUT", f"/api/v1/ai/keys/{made['id']}/policy", json={"access": "read"}).status_code == 200
    ada.api("POST", "/api/v1/ai/freeze")
    assert ada.api("DELETE", f"/api/v1/mcp_keys/{gone['id']}").status_code == 200
    with app.app_context():
        assert "ai.prune" in app.extensions["minapi.jobs"].periodics
        prune(None)
        db.session.commit()
        subjects = set(db.session.scalars(select(AiControl.subject)))
    assert kept["id"] in subjects and gone["id"] not in subjects and len(subjects) == 2  # and the freeze
    assert ada.api("GET", f"/api/v1/ai/keys/{kept['id']}/policy").json["access"] == "read"
