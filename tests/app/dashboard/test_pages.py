"""Dashboard pages through the Flask test client: every page renders, forms run the registry's
actions, failures show their message and keep what was typed, destructive actions need their
confirmation, and account deletion removes the account's objects."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.conftest import csrf_from, signup



def post(client, path, data=None, page="/"):
    token = csrf_from(client, page)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def create(client, name="Orders", **fields):
    data = {"name": name, "description": "shop orders", "fields-0-name": "item", "fields-0-type": "string",
            "fields-0-required": "on", "fields-0-searchable": "on", "fields-1-name": "qty", "fields-1-type": "number"}
    resp = post(client, "/apis", data)
    assert resp.status_code == 200, resp.get_data(as_text=True)[-2000:]
    html = unescape(resp.get_data(as_text=True))
    sandbox = re.search(r'id="sandbox-key">(tm_test_[^<]+)<', html).group(1)
    slug = re.search(r'/apis/([a-z0-9-]+)/deploy', html).group(1)
    return slug, sandbox, html


@pytest.fixture
def person(client):
    signup(client)
    return client


def test_every_page_renders_for_an_owner(person):
    slug, sandbox, html = create(person)
    assert "shown only this once" in html and "curl -X POST" in html and sandbox in html
    got = person.post(f"/api/v1/data/{slug}", json={"item": "blue widget", "qty": 2},
                      headers={"Authorization": f"Bearer {sandbox}"})
    assert got.status_code == 201
    for path in ["/", f"/apis/{slug}", f"/apis/{slug}/keys", f"/apis/{slug}/collaborators", f"/apis/{slug}/logs",
                 f"/apis/{slug}/stats", f"/apis/{slug}/archives", "/settings/profile", "/settings/subscription",
                 "/settings/ai", "/settings/ai?tab=cli", "/settings/ai?tab=chatgpt", "/help", "/help/webhooks"]:
        resp = person.get(path)
        assert resp.status_code == 200, (path, resp.get_data(as_text=True)[-1500:])
    assert sandbox not in person.get(f"/apis/{slug}").get_data(as_text=True)  # shown once only
    logs = person.get(f"/apis/{slug}/logs?query=widget").get_data(as_text=True)
    assert "201" in logs and "owner" in logs
    log_id = re.search(r"/logs/(log_\w+)", logs).group(1)
    assert "blue widget" in person.get(f"/apis/{slug}/logs/{log_id}").get_data(as_text=True)
    stats = person.get(f"/apis/{slug}/stats").get_data(as_text=True)
    assert "<svg" in stats and 'class="ok"' in stats


def test_a_failed_action_shows_its_message_and_keeps_the_input(person):
    create(person, "Orders")
    resp = post(person, "/apis", {"name": "Orders", "description": "typed text",
                                  "fields-0-name": "bad name!", "fields-0-type": "string"})
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 400 and 'role="alert"' in html
    assert "typed text" in html and 'value="bad name!"' in html
    resp = post(person, "/apis", {"name": "Orders"})
    assert resp.status_code == 409 and "already" in unescape(resp.get_data(as_text=True))


def test_forms_without_csrf_are_refused(person):
    slug, _, _ = create(person)
    resp = person.post(f"/apis/{slug}/clear_sandbox", data={})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)


def test_delete_endpoint_needs_its_name(person):
    slug, _, _ = create(person, "Orders")
    wrong = post(person, f"/apis/{slug}/delete", {"confirm_name": "orders"})
    assert wrong.status_code == 400 and person.get(f"/apis/{slug}").status_code == 200
    right = post(person, f"/apis/{slug}/delete", {"confirm_name": "Orders"})
    assert right.status_code == 302 and person.get(f"/apis/{slug}").status_code == 404


def test_pages_need_a_signed_in_person(client):
    for path in ["/", "/apis/x", "/settings/profile", "/settings/subscription", "/settings/ai"]:
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/help").status_code == 200


def test_unknown_or_impossible_endpoint_is_a_404_or_400_never_a_500(person):
    for path in ["/apis/nope", "/apis/nope/keys", "/apis/nope/logs", "/apis/nope/stats", "/apis/%00x/archives",
                 "/apis/%00x", "/apis/%00x/logs?query=a%00b"]:
        assert person.get(path).status_code in (400, 404), path
    assert post(person, "/apis", {"name": "a\x00b"}).status_code == 400


def test_delete_account_needs_the_password_and_removes_everything(app, person):
    slug, sandbox, _ = create(person)
    person.post(f"/api/v1/data/{slug}", json={"item": "x"}, headers={"Authorization": f"Bearer {sandbox}"})
    assert post(person, "/settings/profile/delete", {"password": "wrong"}, "/settings/profile").status_code == 403
    assert person.get("/").status_code == 200
    done = post(person, "/settings/profile/delete", {"password": "correct horse battery"}, "/settings/profile")
    assert done.status_code == 302
    assert person.get("/").status_code == 302  # signed out
    from app.extensions import db

    with app.app_context():
        for table in ("accounts", "endpoints", "endpoint_keys", "records", "call_logs", "usage_daily"):
            assert db.session.execute(db.text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
    gone = person.post(f"/api/v1/data/{slug}", json={"item": "x"}, headers={"Authorization": f"Bearer {sandbox}"})
    assert gone.status_code in (401, 404)


def test_account_delete_is_refused_to_an_mcp_key(app, person):
    from tests.conftest import mcp_key

    key = mcp_key(app)
    resp = app.test_client().delete("/api/v1/account", headers={"x-api-key": key})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "session_required"


def test_subscription_change_is_offered_only_with_self_service(make_app):
    closed = make_app().test_client()
    signup(closed)
    assert "set-plan" in closed.get("/settings/subscription").get_data(as_text=True)
    app = make_app(SELF_SERVICE_PLANS=True)
    client = app.test_client()
    signup(client)
    resp = post(client, "/settings/subscription/change", {"plan": "pro"}, "/settings/subscription")
    assert resp.status_code == 302
    assert "Subscription: pro" in client.get("/settings/subscription").get_data(as_text=True)
    post(client, "/settings/subscription/cancel", {}, "/settings/subscription")
    assert "Subscription: free" in client.get("/settings/subscription").get_data(as_text=True)


def test_webhook_and_notifications_are_saved_and_removed(person):
    slug, _, _ = create(person)
    saved = post(person, f"/apis/{slug}/env/sandbox", {"webhook_url": "https://example.com/hook",
                                                       "auth_header": "X-Token", "auth_value": "s3cret",
                                                       "on_failed_call": "on", "email": "ops@example.com"})
    assert saved.status_code == 302
    got = person.get(f"/api/v1/endpoints/{slug}").json["environments"]["sandbox"]
    assert got["webhook"] == {"url": "https://example.com/hook", "auth_header": "X-Token", "auth_value_set": True}
    assert got["notifications"]["on_failed_call"] is True and got["notifications"]["email"] == "ops@example.com"
    bad = post(person, f"/apis/{slug}/env/sandbox", {"webhook_url": "ftp://nope"})
    assert bad.status_code == 400 and "webhook" in unescape(bad.get_data(as_text=True))
    post(person, f"/apis/{slug}/env/sandbox", {"webhook_url": ""})
    assert person.get(f"/api/v1/endpoints/{slug}").json["environments"]["sandbox"]["webhook"] is None


def test_profile_changes_need_the_current_password_for_email_and_password(person):
    wrong = post(person, "/settings/profile", {"display_name": "Ada L", "email": "ada2@example.com",
                                               "current_password": "nope"}, "/settings/profile")
    html = unescape(wrong.get_data(as_text=True))
    assert wrong.status_code == 403 and "not right" in html and 'value="ada2@example.com"' in html
    ok = post(person, "/settings/profile", {"display_name": "Ada L", "email": "ada2@example.com",
                                            "current_password": "correct horse battery"}, "/settings/profile")
    assert ok.status_code == 302
    page = person.get("/settings/profile").get_data(as_text=True)
    assert "ada2@example.com" in page and "Ada L" in page


def test_log_filters_are_validated_by_the_action_and_kept(person):
    slug, _, _ = create(person)
    resp = person.get(f"/apis/{slug}/logs?from=garbage&query=kept+words&status=failed")
    html = unescape(resp.get_data(as_text=True))
    assert resp.status_code == 400 and 'role="alert"' in html
    assert 'value="kept words"' in html and 'value="garbage"' in html
    assert person.get(f"/apis/{slug}/stats?month=2026-13").status_code == 400


def test_deleting_or_changing_an_account_leaves_other_accounts_alone(app):
    """Bob owns an endpoint shared with Ada; Ada renames herself, then deletes her account:
    Bob's account, endpoint, records and keys stay, and only Ada's invitation goes."""
    bob = app.test_client()
    signup(bob, email="bob@example.com", name="Bob")
    slug, sandbox, _ = create(bob, "Shop")
    bob.post(f"/api/v1/data/{slug}", json={"item": "kept"}, headers={"Authorization": f"Bearer {sandbox}"})
    key = post(bob, f"/apis/{slug}/keys", {"name": "partner", "read": "on"}, f"/apis/{slug}/keys")
    assert key.status_code == 200
    key_id = bob.get(f"/api/v1/collaborators/{slug}/keys").json["keys"][0]["id"]
    post(bob, f"/apis/{slug}/collaborators", {"email": "ada@example.com", "key": key_id}, f"/apis/{slug}/collaborators")
    from tests.plugins.collaborators.test_invitations import accept_as, outbox_links, run_worker

    run_worker(app)
    ada, accepted = accept_as(app, outbox_links(app)[0], "ada@example.com")
    assert accepted.status_code == 302
    assert "Shop" in ada.get("/").get_data(as_text=True)
    post(ada, "/settings/profile", {"display_name": "Ada L"}, "/settings/profile")
    assert "Hello, Bob" in bob.get("/").get_data(as_text=True)
    assert post(ada, "/settings/profile/delete", {"password": "bob's password"}, "/settings/profile").status_code == 302
    assert bob.get(f"/apis/{slug}").status_code == 200
    assert bob.get(f"/api/v1/collaborators/{slug}/keys").json["keys"][0]["name"] == "partner"
    got = bob.get(f"/api/v1/data/{slug}", headers={"Authorization": f"Bearer {sandbox}"})
    assert [r["data"]["item"] for r in got.json["data"]] == ["kept"]
    assert bob.get(f"/api/v1/collaborators/{slug}/invitations").json["invitations"] == []
