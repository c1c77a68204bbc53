"""collaborators_invite makes the key in the same call when given permissions instead of a key."""

import json

import pytest

from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call
from tests.plugins.collaborators.test_invitations import accept_as, outbox_links, run_worker

READ_CREATE = {"create": True, "read": True, "update": False, "delete": False}


def error_of(result) -> dict:
    assert result.is_error
    return json.loads(result.content[0].text)["error"]


@pytest.fixture
def owner_mcp(app, client):
    owner = make_owner(client)
    ep = owner.create_endpoint("user-signup")
    key = mcp_key(app, "owner@example.com")
    with LiveServer(app) as server:
        yield owner, ep, lambda fn: mcp_call(server.url, key, fn)


def test_invite_with_permissions_makes_the_key_and_invites(app, owner_mcp):
    owner, ep, call = owner_mcp

    async def go(client):
        invited = await client.call_tool("collaborators_invite", {
            "endpoint": "user-signup", "email": "chris@example.com", "permissions": READ_CREATE})
        named = await client.call_tool("collaborators_invite", {
            "endpoint": "user-signup", "email": "dana@example.com", "permissions": READ_CREATE, "name": "Dana"})
        keys = await client.call_tool("collaborators_list_keys", {"endpoint": "user-signup"})
        return invited, named, keys

    invited, named, keys = call(go)
    assert not invited.is_error, invited.content
    body = invited.structured_content
    assert body["status"] == "pending" and body["email"] == "chris@example.com" and body["key"] == "chris@example.com"
    new_key = body["new_key"]
    assert new_key["name"] == "chris@example.com" and new_key["permissions"] == READ_CREATE
    assert new_key["keys"]["sandbox"].startswith("tm_test_") and new_key["keys"]["production"].startswith("tm_live_")
    assert named.structured_content["key"] == "Dana"
    listed = {k["name"]: k["permissions"] for k in keys.structured_content["keys"]}
    assert listed == {"chris@example.com": READ_CREATE, "Dana": READ_CREATE}
    assert "keys" not in json.dumps(keys.structured_content["keys"][0].get("keys", ""))  # no plaintext listed
    # The new key works on the data plane with exactly those rights.
    assert ep.call("POST", key=new_key["keys"]["sandbox"], json={"item": "x"}).status_code == 201
    assert ep.call("DELETE", "/rec_nope", key=new_key["keys"]["sandbox"]).status_code == 403
    run_worker(app)
    assert len(outbox_links(app)) == 2


def test_unknown_key_says_how_to_make_one_and_bad_calls_leave_nothing(app, owner_mcp):
    owner, ep, call = owner_mcp

    async def go(client):
        unknown = await client.call_tool("collaborators_invite", {
            "endpoint": "user-signup", "email": "chris@example.com", "key": "partners"})
        neither = await client.call_tool("collaborators_invite", {
            "endpoint": "user-signup", "email": "chris@example.com"})
        own = await client.call_tool("collaborators_invite", {  # refused after the key was made
            "endpoint": "user-signup", "email": "owner@example.com", "permissions": READ_CREATE})
        keys = await client.call_tool("collaborators_list_keys", {"endpoint": "user-signup"})
        return unknown, neither, own, keys

    unknown, neither, own, keys = call(go)
    err = error_of(unknown)
    assert err["code"] == "key_not_found"
    assert "permissions" in err["message"] and "collaborators_create_key" in err["message"]
    assert error_of(neither)["code"] == "validation_failed"
    assert error_of(own)["code"] == "validation_failed"
    assert keys.structured_content["keys"] == []  # the refused invitation's key was rolled back


def test_a_collaborator_cannot_invite_or_make_keys(app, owner_mcp):
    owner, ep, call = owner_mcp
    owner.create_key(ep, "partner", read=True)
    assert owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations",
                     json={"key": "partner", "email": "bob@example.com"}).status_code == 201
    run_worker(app)
    accept_as(app, outbox_links(app)[0])  # bob now shares the endpoint through the read-only key
    key = mcp_key(app, "bob@example.com")

    async def go(client):
        listed = await client.call_tool("endpoints_list", {})
        assert [e["role"] for e in listed.structured_content["endpoints"]] == ["shared"]
        return await client.call_tool("collaborators_invite", {
            "endpoint": ep.slug, "email": "eve@example.com",
            "permissions": {"create": True, "read": True, "update": True, "delete": True}})

    with LiveServer(app) as server:
        result = mcp_call(server.url, key, go)
    assert error_of(result)["code"] == "permission_denied"  # only the owner shares an endpoint
    assert [k["name"] for k in owner.api("GET", f"/api/v1/collaborators/{ep.slug}/keys").json["keys"]] == ["partner"]
