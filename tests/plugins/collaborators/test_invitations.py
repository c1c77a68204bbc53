"""Invitations end to end: invite, the email (outbox or a real SMTP sink), accept, shared access."""

import email
import re
from pathlib import Path

import pytest

from tests.conftest import csrf_from, signup
from tests.gateway_helpers import make_owner

LINK = re.compile(r"(http://localhost/invitations/inv_tok_[A-Za-z0-9_-]+)")


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def outbox_links(app) -> list[str]:
    links = []
    for path in sorted((Path(app.instance_path) / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        links += LINK.findall(msg.get_payload(decode=True).decode())
    return links


@pytest.fixture
def shared(app, client):
    """An owner whose endpoint has a read+create key, and an invitation to it for bob."""
    owner = make_owner(client)
    ep = owner.create_endpoint()
    owner.create_key(ep, "partner", read=True, create=True)
    resp = owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations",
                     json={"key": "partner", "email": "Bob@Example.com"})
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "pending" and resp.json["email"] == "bob@example.com"
    run_worker(app)
    return owner, ep, resp.json


def accept_as(app, link, email_addr="bob@example.com"):
    bob = app.test_client()
    path = link.replace("http://localhost", "")
    page = bob.get(path).get_data(as_text=True)
    assert "Sign in" in page and email_addr in page
    token = csrf_from(bob, "/signup")
    resp = bob.post("/signup", query_string={"next": path},
                    data={"email": email_addr, "password": "bob's password", "csrf_token": token})
    assert resp.headers["Location"] == path  # back to the invitation after signing up
    accept_page = bob.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', accept_page).group(1)
    return bob, bob.post(path, data={"csrf_token": token})


def test_invitation_email_lands_in_the_outbox_and_is_accepted(app, shared):
    owner, ep, invitation = shared
    links = outbox_links(app)
    assert len(links) == 1
    bob, resp = accept_as(app, links[0])
    assert resp.status_code == 302
    bob.csrf = csrf_from(bob, "/")
    listing = bob.open("/api/v1/endpoints").json["endpoints"]
    assert [(e["name"], e["role"]) for e in listing] == [("Orders", "shared")]
    got = bob.open(f"/api/v1/endpoints/{ep.slug}").json
    assert got["shared_key"]["name"] == "partner" and got["shared_key"]["permissions"]["update"] is False
    assert "webhook_secret" not in got and "owner_key" not in got
    status = owner.api("GET", f"/api/v1/collaborators/{ep.slug}/invitations").json["invitations"]
    assert [(i["email"], i["status"]) for i in status] == [("bob@example.com", "accepted")]


def test_collaborator_acts_with_the_keys_rights_only(app, shared):
    owner, ep, _ = shared
    bob, _ = accept_as(app, outbox_links(app)[0])
    bob.csrf = csrf_from(bob, "/")
    h = {"X-CSRFToken": bob.csrf}
    made = bob.post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "from bob"}}, headers=h)
    assert made.status_code == 200 and made.json["status"] == 201
    rid = made.json["body"]["id"]
    assert bob.get("/api/v1/api_call", query_string={"endpoint": "Orders", "record_id": rid}).json["status"] == 200
    denied = bob.put("/api/v1/api_call", json={"endpoint": "Orders", "record_id": rid, "data": {"item": "x"}},
                     headers=h)
    assert denied.status_code == 403 and denied.json["error"]["code"] == "permission_denied"
    for method, path, body in [("PATCH", f"/api/v1/endpoints/{ep.slug}", {"name": "Mine now"}),
                               ("POST", f"/api/v1/endpoints/{ep.slug}/deploy", None),
                               ("POST", f"/api/v1/collaborators/{ep.slug}/keys",
                                {"name": "x", "permissions": {"create": 1, "read": 1, "update": 1, "delete": 1}}),
                               ("GET", f"/api/v1/collaborators/{ep.slug}/keys", None),
                               ("DELETE", f"/api/v1/endpoints/{ep.slug}", None)]:
        resp = bob.open(path, method=method, json=body, headers=h)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "permission_denied", (path, resp.json)
    assert ep.call("GET", f"/{rid}").json["data"] == {"item": "from bob"}  # the owner sees bob's record


def test_collaborator_sees_only_the_calls_made_with_their_key(app, shared):
    owner, ep, _ = shared
    ep.call("POST", json={"item": "owner's call"})
    bob, _ = accept_as(app, outbox_links(app)[0])
    bob.csrf = csrf_from(bob, "/")
    made = bob.post("/api/v1/api_call", json={"endpoint": "Orders", "data": {"item": "bob's call"}},
                    headers={"X-CSRFToken": bob.csrf}).json
    logs = bob.get("/api/v1/logs", query_string={"limit": 100}).json["logs"]
    assert [log["id"] for log in logs] == [made["log_id"]]
    by_endpoint = bob.get("/api/v1/logs", query_string={"endpoint": "Orders"}).json["logs"]
    assert [log["id"] for log in by_endpoint] == [made["log_id"]]
    owner_logs = owner.api("GET", "/api/v1/logs", query_string={"limit": 100}).json["logs"]
    assert made["log_id"] in [log["id"] for log in owner_logs] and len(owner_logs) == 2  # the owner sees both


def test_wrong_account_cannot_accept(app, shared):
    link = outbox_links(app)[0].replace("http://localhost", "")
    eve = app.test_client()
    signup(eve, email="eve@example.com")
    page = eve.get(link).get_data(as_text=True)
    assert "This invitation is for bob@example.com" in page
    token = csrf_from(eve, "/")
    eve.post(link, data={"csrf_token": token})
    eve.csrf = csrf_from(eve, "/")
    assert eve.open("/api/v1/endpoints").json["endpoints"] == []


def test_revoked_invitation_ends_the_sharing(app, shared):
    owner, ep, invitation = shared
    bob, _ = accept_as(app, outbox_links(app)[0])
    revoked = owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations/{invitation['id']}/revoke")
    assert revoked.json["status"] == "revoked"
    assert bob.open("/api/v1/endpoints").json["endpoints"] == []
    resp = bob.get("/api/v1/api_call", query_string={"endpoint": ep.slug})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "endpoint_not_found"


def test_expired_invitation_cannot_be_accepted(app, shared):
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        db.session.execute(text("UPDATE invitations SET expires_at = created_at"))
        db.session.commit()
    owner, ep, _ = shared
    listed = owner.api("GET", f"/api/v1/collaborators/{ep.slug}/invitations").json["invitations"]
    assert listed[0]["status"] == "expired"
    bob, resp = accept_as_expired(app, outbox_links(app)[0])
    assert "This invitation is expired" in resp


def accept_as_expired(app, link):
    bob = app.test_client()
    path = link.replace("http://localhost", "")
    signup(bob, email="bob@example.com")
    return bob, bob.get(path).get_data(as_text=True)


@pytest.mark.parametrize("body,code", [
    ({"key": "partner", "email": "not-an-email"}, "validation_failed"),
    ({"key": "nokey", "email": "a@example.com"}, "key_not_found"),
    ({"key": "partner", "email": "owner@example.com"}, "validation_failed"),
    ({"key": "partner", "email": "bob@example.com"}, "already_invited"),
])
def test_bad_invitations_are_refused(shared, body, code):
    owner, ep, _ = shared
    resp = owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations", json=body)
    assert resp.json["error"]["code"] == code


def test_invitation_through_a_real_smtp_sink(make_app):
    from tests.receivers import SmtpSink

    with SmtpSink() as sink:
        app = make_app(SMTP_URL=sink.url)
        owner = make_owner(app.test_client())
        ep = owner.create_endpoint()
        owner.create_key(ep, "partner", read=True)
        owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations", json={"key": "partner",
                                                                               "email": "carol@example.com"})
        run_worker(app)
    assert [m["To"] for m in sink.messages] == ["carol@example.com"]
    link = LINK.search(sink.messages[0].get_content()).group(1)
    carol, resp = accept_as(app, link, "carol@example.com")
    assert resp.status_code == 302


def test_invitation_tools_over_mcp(app, client):
    from tests.conftest import mcp_key
    from tests.live import LiveServer, mcp_call

    owner = make_owner(client)
    ep = owner.create_endpoint()
    owner.create_key(ep, "partner", read=True)
    key = mcp_key(app, "owner@example.com")

    async def go(client):
        made = await client.call_tool("collaborators_invite", {"endpoint": "Orders", "key": "partner",
                                                               "email": "dana@example.com"})
        listed = await client.call_tool("collaborators_list_invitations", {"endpoint": "Orders", "key": "partner"})
        tools = {t.name for t in (await client.list_tools()).tools}
        return made, listed, tools

    with LiveServer(app) as server:
        made, listed, tools = mcp_call(server.url, key, go)
    assert made.structured_content["status"] == "pending"
    assert [i["email"] for i in listed.structured_content["invitations"]] == ["dana@example.com"]
    assert "collaborators_revoke_invitation" not in tools  # destructive: dashboard only
    run_worker(app)
    assert len(outbox_links(app)) == 1


def test_invitations_page_newest_first_with_a_cursor(shared):
    owner, ep, first_invite = shared
    for who in ("carol", "dave"):
        owner.api("POST", f"/api/v1/collaborators/{ep.slug}/invitations",
                  json={"key": "partner", "email": f"{who}@example.com"})
    url = f"/api/v1/collaborators/{ep.slug}/invitations"
    page = owner.api("GET", url, query_string={"limit": 2}).json
    rest = owner.api("GET", url, query_string={"limit": 2, "cursor": page["next_cursor"]}).json
    emails = [i["email"] for i in page["invitations"] + rest["invitations"]]
    assert sorted(emails) == ["bob@example.com", "carol@example.com", "dave@example.com"]
    assert emails[-1] == "bob@example.com" and rest["next_cursor"] is None  # the oldest comes last
    bad = owner.api("GET", url, query_string={"cursor": "inv_nope"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "validation_failed"
