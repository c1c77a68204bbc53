"""Collaboration keys over REST: create, list, rights, (de)activate, regenerate, delete."""

import pytest

from tests.gateway_helpers import make_owner


@pytest.fixture
def ep(client):
    return make_owner(client).create_endpoint()


def test_create_list_and_use_a_key(ep):
    made = ep.owner.create_key(ep, "partner", read=True, create=True)
    assert made["keys"]["sandbox"].startswith("tm_test_") and made["keys"]["production"].startswith("tm_live_")
    assert made["permissions"] == {"create": True, "read": True, "update": False, "delete": False}
    listed = ep.owner.api("GET", f"/api/v1/collaborators/{ep.slug}/keys").json["keys"]
    assert [k["name"] for k in listed] == ["partner"] and "keys" not in listed[0]
    assert ep.call("POST", key=made["keys"]["sandbox"], json={"item": "from partner"}).status_code == 201


def test_update_permissions_takes_effect_at_once(ep):
    key = ep.owner.create_key(ep, "p", read=True)["keys"]["sandbox"]
    assert ep.call("POST", key=key, json={"item": "x"}).status_code == 403
    resp = ep.owner.api("PUT", f"/api/v1/collaborators/{ep.slug}/keys/p/permissions",
                        json={"permissions": {"create": True, "read": True, "update": False, "delete": False}})
    assert resp.status_code == 200 and resp.json["permissions"]["create"] is True
    assert ep.call("POST", key=key, json={"item": "x"}).status_code == 201


def test_deactivate_activate_regenerate_delete(ep):
    made = ep.owner.create_key(ep, "p", read=True)
    key = made["keys"]["sandbox"]
    ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys/{made['id']}/deactivate")
    assert ep.call("GET", key=key).json["error"]["code"] == "key_inactive"
    ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys/p/activate")
    assert ep.call("GET", key=key).status_code == 200
    new = ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys/p/regenerate").json["keys"]["sandbox"]
    assert ep.call("GET", key=key).json["error"]["code"] == "invalid_key"
    assert ep.call("GET", key=new).status_code == 200
    assert ep.owner.api("DELETE", f"/api/v1/collaborators/{ep.slug}/keys/p").json == {"deleted": made["id"]}
    assert ep.call("GET", key=new).json["error"]["code"] == "invalid_key"


@pytest.mark.parametrize("name", ["owner", "dup"])
def test_key_names_are_unique_per_endpoint(ep, name):
    ep.owner.create_key(ep, "dup", read=True)
    resp = ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys",
                        json={"name": name, "permissions": {"create": 0, "read": 1, "update": 0, "delete": 0}})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "name_taken"


def test_the_owner_key_is_not_a_collaboration_key(ep):
    resp = ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys/owner/deactivate")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "key_not_found"
    assert ep.call("GET").status_code == 200


def test_permissions_must_name_every_right(ep):
    resp = ep.owner.api("POST", f"/api/v1/collaborators/{ep.slug}/keys",
                        json={"name": "half", "permissions": {"read": True}})
    assert resp.status_code == 400 and "permissions" in resp.json["error"]["details"]


def test_keys_page_with_a_cursor(ep):
    for name in ("c", "a", "b"):
        ep.owner.create_key(ep, name, read=True)
    first = ep.owner.api("GET", f"/api/v1/collaborators/{ep.slug}/keys", query_string={"limit": 2}).json
    assert [k["name"] for k in first["keys"]] == ["a", "b"] and first["next_cursor"]
    rest = ep.owner.api("GET", f"/api/v1/collaborators/{ep.slug}/keys",
                        query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [k["name"] for k in rest["keys"]] == ["c"] and rest["next_cursor"] is None
    bad = ep.owner.api("GET", f"/api/v1/collaborators/{ep.slug}/keys", query_string={"cursor": "key_nope"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"


def test_key_tools_over_mcp(app, ep):
    """collaborators_list_keys and collaborators_update_permissions through the SDK client: the
    listing shows no plaintext, and a right granted by the tool opens the data plane at once."""
    from tests.conftest import mcp_key
    from tests.live import LiveServer, mcp_call, tool_error

    plaintext = ep.owner.create_key(ep, "partner", read=True)["keys"]["sandbox"]
    key = mcp_key(app, "owner@example.com")

    async def go(client):
        listed = await client.call_tool("collaborators_list_keys", {"endpoint": "Orders"})
        changed = await client.call_tool("collaborators_update_permissions", {
            "endpoint": "Orders", "key": "partner",
            "permissions": {"create": True, "read": True, "update": False, "delete": False}})
        unknown = await client.call_tool("collaborators_update_permissions", {
            "endpoint": "Orders", "key": "nobody",
            "permissions": {"create": True, "read": True, "update": False, "delete": False}})
        return listed, changed, unknown

    assert ep.call("POST", key=plaintext, json={"item": "x"}).status_code == 403
    with LiveServer(app) as server:
        listed, changed, unknown = mcp_call(server.url, key, go)
    keys = listed.structured_content["keys"]
    assert [k["name"] for k in keys] == ["partner"] and "keys" not in keys[0]
    assert plaintext not in str(listed.structured_content)
    assert changed.structured_content["permissions"]["create"] is True
    assert tool_error(unknown)["code"] == "key_not_found"
    assert ep.call("POST", key=plaintext, json={"item": "x"}).status_code == 201
