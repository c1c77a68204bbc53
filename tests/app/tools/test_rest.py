"""The REST adapter, through HTTP: actors, CSRF, kinds, validation, commit and errors."""

import pytest

from tests.sample_plugins import NOTES


@pytest.fixture
def notes_app(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    return make_app(PLUGINS=f"builtin,{name}")


@pytest.fixture
def user(notes_app):
    from tests.conftest import csrf_from, signup

    client = notes_app.test_client()
    signup(client)
    client.csrf = csrf_from(client, "/")
    return client


def test_anonymous_caller_is_refused(notes_app):
    resp = notes_app.test_client().post("/api/v1/notes", json={"text": "hi"})
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthorized"


def test_session_write_needs_csrf_header(user):
    resp = user.post("/api/v1/notes", json={"text": "hi"})
    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "csrf_failed"


def test_session_write_with_csrf_runs_and_reads_back(user):
    resp = user.post("/api/v1/notes", json={"text": "hi", "count": 2}, headers={"X-CSRFToken": user.csrf})
    assert resp.status_code == 201
    assert resp.json["text"] == "hi" and resp.json["count"] == 2
    assert resp.json["owner"].startswith("acc_")
    listing = user.get("/api/v1/notes")
    assert listing.status_code == 200
    assert [n["text"] for n in listing.json["notes"]] == ["hi"]


def test_destructive_action_runs_for_a_signed_in_person(user):
    user.post("/api/v1/notes", json={"text": "bye"}, headers={"X-CSRFToken": user.csrf})
    resp = user.delete("/api/v1/notes/bye", headers={"X-CSRFToken": user.csrf})
    assert resp.status_code == 200
    again = user.delete("/api/v1/notes/bye", headers={"X-CSRFToken": user.csrf})
    assert again.status_code == 404 and again.json["error"]["code"] == "note_not_found"


def test_destructive_action_without_csrf_is_refused(user):
    resp = user.delete("/api/v1/notes/bye")
    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "csrf_failed"


def test_unknown_bearer_token_is_401_not_a_cookie_fallback(user):
    resp = user.get("/api/v1/notes", headers={"Authorization": "Bearer tm_mcp_nope"})
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "invalid_key"


BAD_INPUT = {
    "missing field": ({"json": {}}, 400, "validation_failed"),
    "unknown field": ({"json": {"text": "a", "admin": True}}, 400, "validation_failed"),
    "wrong type": ({"json": {"text": "a", "count": "many"}}, 400, "validation_failed"),
    "out of range": ({"json": {"text": "a", "count": 99}}, 400, "validation_failed"),
    "invalid json": ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
    "array body": ({"json": [1, 2]}, 400, "not_an_object"),
    "form body": ({"data": "text=a", "content_type": "application/x-www-form-urlencoded"}, 415,
                  "unsupported_media_type"),
    "bad utf-8": ({"data": b'{"text": "\xff"}', "content_type": "application/json"}, 400, "invalid_json"),
}


@pytest.mark.parametrize("kwargs,status,code", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_gets_a_clear_error(user, kwargs, status, code):
    resp = user.post("/api/v1/notes", headers={"X-CSRFToken": user.csrf}, **kwargs)
    assert resp.status_code == status
    assert resp.json["error"]["code"] == code
    assert resp.json["error"]["message"]


def test_validation_details_name_each_field(user):
    resp = user.post("/api/v1/notes", json={"count": "x"}, headers={"X-CSRFToken": user.csrf})
    details = resp.json["error"]["details"]
    assert set(details) == {"text", "count"}


def test_unexpected_error_is_500_without_internals(user):
    resp = user.get("/api/v1/notes/explode")
    assert resp.status_code == 500
    assert resp.json == {"error": {"code": "internal_error", "message": "Something went wrong on our side."}}
    assert "passwd" not in resp.get_data(as_text=True)
