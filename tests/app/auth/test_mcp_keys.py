"""MCP keys: created and listed by a person, shown once, hashed, regenerated, deleted, scoped."""

import re
from html import unescape

import httpx
import pytest

from tests.conftest import csrf_from, mcp_key
from tests.live import LiveServer


def api(client, method, path, **kw):
    return client.open(path, method=method, headers={"X-CSRFToken": client.csrf}, **kw)


def test_create_over_rest_shows_the_key_once(signed_in):
    created = api(signed_in, "POST", "/api/v1/mcp_keys", json={"label": "Cursor", "read_only": True})
    assert created.status_code == 201
    body = created.json
    assert body["key"].startswith("tm_mcp_") and body["scopes"] == ["mcp:read"]
    assert body["prefix"].endswith("…") and body["key"].startswith(body["prefix"][:-1])
    listed = signed_in.get("/api/v1/mcp_keys").json["keys"]
    assert [k["label"] for k in listed] == ["Cursor"]
    assert "key" not in listed[0]
    assert body["key"] not in signed_in.get("/api/v1/mcp_keys").get_data(as_text=True)


def test_key_is_stored_only_as_a_hash(app, signed_in):
    key = api(signed_in, "POST", "/api/v1/mcp_keys", json={}).json["key"]
    from app.extensions import db

    with app.app_context():
        dump = "\n".join(str(row) for row in db.session.execute(db.text("SELECT * FROM mcp_keys")).all())
    assert key not in dump and key[7:] not in dump


def test_regenerate_invalidates_the_old_value_at_once(app, signed_in):
    old = api(signed_in, "POST", "/api/v1/mcp_keys", json={"label": "a"}).json
    assert signed_in.get("/api/v1/help", headers={"x-api-key": old["key"]}).status_code == 200
    new = api(signed_in, "POST", f"/api/v1/mcp_keys/{old['id']}/regenerate").json
    assert new["id"] == old["id"] and new["key"] != old["key"] and new["label"] == "a"
    fresh = app.test_client()
    assert fresh.get("/api/v1/mcp_keys", headers={"x-api-key": old["key"]}).status_code == 401
    assert fresh.get("/api/v1/mcp_keys", headers={"x-api-key": new["key"]}).json["error"]["code"] == \
        "session_required"


def test_delete_revokes_the_key(app, signed_in):
    made = api(signed_in, "POST", "/api/v1/mcp_keys", json={}).json
    assert api(signed_in, "DELETE", f"/api/v1/mcp_keys/{made['id']}").json == {"deleted": made["id"]}
    resp = app.test_client().get("/api/v1/help", headers={"x-api-key": made["key"]})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "invalid_key"
    assert signed_in.get("/api/v1/mcp_keys").json["keys"] == []


def test_keys_of_another_account_are_out_of_reach(app, signed_in):
    other = app.test_client()
    from tests.conftest import signup

    signup(other, email="eve@example.com")
    other.csrf = csrf_from(other, "/")
    theirs = api(other, "POST", "/api/v1/mcp_keys", json={}).json
    for method, path in [("POST", f"/api/v1/mcp_keys/{theirs['id']}/regenerate"),
                         ("DELETE", f"/api/v1/mcp_keys/{theirs['id']}")]:
        resp = api(signed_in, method, path)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "key_not_found"
    assert signed_in.get("/api/v1/mcp_keys").json["keys"] == []


def test_last_used_at_is_recorded(app, signed_in):
    made = api(signed_in, "POST", "/api/v1/mcp_keys", json={}).json
    assert signed_in.get("/api/v1/mcp_keys").json["keys"][0]["last_used_at"] is None
    app.test_client().get("/api/v1/help", headers={"x-api-key": made["key"]})
    assert signed_in.get("/api/v1/mcp_keys").json["keys"][0]["last_used_at"] is not None


def test_cli_create_mcp_prints_a_working_key(app):
    with LiveServer(app) as server:
        key = mcp_key(app, "cli@example.com", read_only=True, label="laptop")
        resp = httpx.post(f"{server.url}/api/mcp", headers={"x-api-key": key, "accept": "application/json, text/event-stream"},
                          json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                              "protocolVersion": "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "t", "version": "1"}}})
        assert resp.status_code == 200


def test_cli_create_mcp_for_unknown_account_fails(app):
    result = app.test_cli_runner().invoke(args=["keys", "create-mcp", "ghost@example.com"])
    assert result.exit_code != 0 and "account_not_found" in result.output


def test_settings_page_shows_a_new_key_once_with_snippets(app, signed_in):
    page = signed_in.get("/settings/ai").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    made = signed_in.post("/settings/ai/keys", data={"label": "Claude Code", "csrf_token": token})
    html = unescape(made.get_data(as_text=True))
    key = re.search(r"<code>(tm_mcp_[^<]+)</code>", html).group(1)
    assert '"x-api-key": "%s"' % key in html
    assert '"type": "http"' in html and '"url": "http://localhost/api/mcp"' in html
    assert f'claude mcp add --transport http minapi http://localhost/api/mcp --header "x-api-key: {key}"' in html
    again = signed_in.get("/settings/ai").get_data(as_text=True)
    assert key not in again and "Claude Code" in again
    assert app.test_client().get("/api/v1/help", headers={"x-api-key": key}).status_code == 200


def test_settings_page_needs_sign_in_and_csrf(app, signed_in):
    anon = app.test_client()
    assert anon.get("/settings/ai").status_code == 302
    assert signed_in.post("/settings/ai/keys", data={"label": "x"}).status_code == 400
    made = api(signed_in, "POST", "/api/v1/mcp_keys", json={}).json
    assert signed_in.post(f"/settings/ai/keys/{made['id']}/delete").status_code == 400
    assert len(signed_in.get("/api/v1/mcp_keys").json["keys"]) == 1


@pytest.mark.parametrize("read_only,scopes", [(True, ["mcp:read"]), (False, ["mcp:read", "mcp:write"])])
def test_scopes_follow_read_only(signed_in, read_only, scopes):
    assert api(signed_in, "POST", "/api/v1/mcp_keys", json={"read_only": read_only}).json["scopes"] == scopes
