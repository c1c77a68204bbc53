"""The endpoints family over REST: create, name rules, update, deploy, delete, keys."""

import pytest

from tests.gateway_helpers import FIELDS, make_owner

NORMALIZED = [{"required": False, "searchable": False, **f} for f in FIELDS]


@pytest.fixture
def owner(client):
    return make_owner(client)


def test_create_returns_keys_once_and_get_shows_prefixes(owner):
    ep = owner.create_endpoint()
    info = ep.info
    assert info["id"].startswith("ep_") and info["slug"].startswith("orders-")
    assert info["owner_keys"]["sandbox"].startswith("tm_test_")
    assert info["owner_keys"]["production"].startswith("tm_live_")
    got = owner.api("GET", f"/api/v1/endpoints/{info['id']}").json
    assert "owner_keys" not in got
    assert ep.sandbox.startswith(got["owner_key"]["sandbox_prefix"][:-1])
    assert ep.sandbox not in str(got)
    assert got["urls"]["data"] == f"http://localhost/api/v1/data/{ep.slug}"
    assert got["environments"]["sandbox"]["fields"] == NORMALIZED
    assert got["environments"]["production"] is None and got["deployed"] is False


@pytest.mark.parametrize("ref", ["id", "slug", "name"])
def test_endpoint_can_be_named_by_id_slug_or_name(owner, ref):
    ep = owner.create_endpoint(name="By Name")
    value = {"id": ep.info["id"], "slug": ep.slug, "name": "By Name"}[ref]
    assert owner.api("GET", f"/api/v1/endpoints/{value}").json["id"] == ep.info["id"]


def test_names_are_unique_per_account_and_slugs_never_change(owner, app):
    ep = owner.create_endpoint(name="Leads")
    dup = owner.api("POST", "/api/v1/endpoints", json={"name": "Leads"})
    assert dup.status_code == 409 and dup.json["error"]["code"] == "name_taken"
    renamed = owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={"name": "Prospects"}).json
    assert renamed["name"] == "Prospects" and renamed["slug"] == ep.slug
    other = make_owner(app.test_client(), "second@example.com")
    assert other.create_endpoint(name="Leads").slug != ep.slug  # another account may reuse the name


@pytest.mark.parametrize("body,field", [
    ({"name": ""}, "name"), ({"name": "x" * 101}, "name"), ({"name": "ok", "description": "d" * 501}, "description"),
    ({"name": "ok", "fields": [{"name": "a", "type": "date"}]}, "fields"),
    ({"name": "ok", "fields": [{"name": "a", "type": "number", "searchable": True}]}, "fields"),
    ({"name": "ok", "fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "number"}]}, "fields"),
    ({"name": "ok", "fields": [{"name": "1bad", "type": "string"}]}, "fields"),
    ({"name": "ok", "fields": "item"}, "fields"),
])
def test_bad_definitions_are_refused_with_details(owner, body, field):
    resp = owner.api("POST", "/api/v1/endpoints", json=body)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "validation_failed"
    assert field in resp.json["error"]["details"]


def test_deploy_needs_a_successful_sandbox_call_and_bumps_version(owner):
    ep = owner.create_endpoint()
    early = ep.deploy()
    assert early.status_code == 409 and early.json["error"]["code"] == "sandbox_untested"
    ep.call("POST", json={"qty": 1})  # a failed call does not count
    assert ep.deploy().status_code == 409
    ep.call("POST", json={"item": "ok"})
    first = ep.deploy().json
    assert first["version"] == 1 and first["deployed"] is True
    assert first["environments"]["production"]["fields"] == NORMALIZED
    assert ep.deploy().json["version"] == 2


def test_field_changes_reach_production_only_on_deploy(owner):
    ep = owner.create_endpoint()
    ep.call("POST", json={"item": "x"})
    ep.deploy()
    owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={"fields": [{"name": "email", "type": "string",
                                                                            "required": True}]})
    assert ep.call("POST", json={"item": "y"}).json["error"]["details"] == {"email": ["required field is missing"]}
    assert ep.call("POST", key=ep.live, json={"item": "y"}).status_code == 201
    ep.deploy()
    assert ep.call("POST", key=ep.live, json={"item": "y"}).status_code == 400


def test_webhook_and_notifications_per_environment(owner):
    ep = owner.create_endpoint()
    upd = owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={
        "webhook": {"url": "https://hooks.example/a", "auth_header": "X-Key", "auth_value": "v"},
        "notifications": {"on_failed_call": True, "email": "ops@example.com"}}).json
    sandbox = upd["environments"]["sandbox"]
    assert sandbox["webhook"] == {"url": "https://hooks.example/a", "auth_header": "X-Key", "auth_value_set": True}
    assert sandbox["notifications"]["on_failed_call"] is True
    early = owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}",
                      json={"environment": "production", "webhook": {"url": "https://hooks.example/p"}})
    assert early.status_code == 409 and early.json["error"]["code"] == "not_deployed"
    ep.call("POST", json={"item": "x"})
    ep.deploy()
    prod = owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}",
                     json={"environment": "production", "webhook": None}).json["environments"]
    assert prod["production"]["webhook"] is None and prod["sandbox"]["webhook"]["url"] == "https://hooks.example/a"
    bad = owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={"webhook": {"url": "ftp://x"}})
    assert bad.status_code == 400 and "webhook" in bad.json["error"]["details"]


def test_list_pages_with_a_cursor(owner):
    made = [owner.create_endpoint(name=f"E{i}").info["id"] for i in range(5)]
    first = owner.api("GET", "/api/v1/endpoints", query_string={"limit": 2}).json
    second = owner.api("GET", "/api/v1/endpoints", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    third = owner.api("GET", "/api/v1/endpoints", query_string={"limit": 2, "cursor": second["next_cursor"]}).json
    listed = [e["id"] for page in (first, second, third) for e in page["endpoints"]]
    assert sorted(listed) == sorted(made) and third["next_cursor"] is None


def test_destructive_actions_for_the_signed_in_owner(owner):
    ep = owner.create_endpoint()
    ep.call("POST", json={"item": "x"})
    new = owner.api("POST", f"/api/v1/endpoints/{ep.slug}/regenerate_keys").json
    assert ep.call("GET").json["error"]["code"] == "invalid_key"
    assert ep.call("GET", key=new["sandbox"]).status_code == 200
    cleared = owner.api("POST", f"/api/v1/endpoints/{ep.slug}/clear_sandbox").json
    assert cleared == {"deleted_records": 1}
    assert ep.call("GET", key=new["sandbox"]).json["data"] == []
    assert owner.api("DELETE", f"/api/v1/endpoints/{ep.slug}").json == {"deleted": ep.info["id"]}
    assert ep.call("GET", key=new["sandbox"]).json["error"]["code"] == "endpoint_not_found"
