"""What the authorization server refuses, case by case, over real HTTP."""

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.app.auth.oauth.support import (REDIRECT, Person, authorize_params, live_app, make_account,
                                          mcp_status, obtain_tokens, pkce, refresh, register)


def authorize(base, person, client_id, **overrides):
    _, challenge = pkce()
    return person.follow(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client_id, challenge,
                                                                                 **overrides)))


@pytest.mark.parametrize("overrides,error", [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge_method": None}, "invalid_request"),
    ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
    ({"resource": "http://elsewhere.example/api/mcp"}, "invalid_target"),
    ({"response_type": "token"}, "unsupported_response_type"),
], ids=["plain PKCE", "PKCE without method", "no PKCE", "wrong resource", "implicit"])
def test_bad_authorization_requests_go_back_to_the_client_with_an_error(live, overrides, error):
    app, base = live
    client = register(base)
    resp = authorize(base, Person(base), client["client_id"], **overrides)
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["error"] == error and query["state"] == "st-123"
    if error != "unsupported_response_type":
        assert query["iss"] == base


@pytest.mark.parametrize("redirect_uri,client_id,status", [
    ("http://evil.example/callback", None, 400),
    ("http://127.0.0.1:33418/other", None, 400),
    ("http://localhost:33418/callback", None, 400),
    (REDIRECT, "mcc_unknown", 400),
], ids=["other host", "other path", "other loopback host", "unknown client"])
def test_requests_that_cannot_be_sent_back_are_shown_here(live, redirect_uri, client_id, status):
    app, base = live
    client = register(base)
    resp = authorize(base, Person(base), client_id or client["client_id"], redirect_uri=redirect_uri)
    assert resp.status_code == status and "location" not in resp.headers
    assert "invalid_client" in resp.text or "redirect" in resp.text.lower()


def test_loopback_redirect_uri_matches_on_any_port(live):
    app, base = live
    person = Person(base)
    client = register(base)
    resp = authorize(base, person, client["client_id"], redirect_uri="http://127.0.0.1:51234/callback")
    assert resp.status_code == 200  # the consent page
    tokens = obtain_tokens(base, person, client)
    assert tokens["access_token"].startswith("mat_")


def test_redirect_carries_code_state_and_iss_with_302(live):
    app, base = live
    person = Person(base)
    client = register(base)
    verifier, challenge = pkce()
    location = person.authorize(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"],
                                                                                        challenge)))
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert set(query) == {"code", "state", "iss"} and query["state"] == "st-123" and query["iss"] == base


def test_deny_sends_access_denied(live):
    app, base = live
    client = register(base)
    person = Person(base, decision="deny")
    _, challenge = pkce()
    location = person.authorize(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"],
                                                                                        challenge)))
    assert "error=access_denied" in location and "state=st-123" in location


def token_request(base, **data):
    return httpx.post(f"{base}/oauth/token", data=data)


@pytest.mark.parametrize("case", ["reused code", "wrong verifier", "wrong resource", "other redirect uri",
                                  "unknown client", "other client"])
def test_token_endpoint_refusals(live, case):
    app, base = live
    person = Person(base)
    client = register(base)
    verifier, challenge = pkce()
    location = person.authorize(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"],
                                                                                        challenge)))
    code = parse_qs(urlsplit(location).query)["code"][0]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client["client_id"], "code_verifier": verifier, "resource": f"{base}/api/mcp"}
    first = None
    if case == "reused code":
        first = token_request(base, **data)
        assert first.status_code == 200
    elif case == "wrong verifier":
        data["code_verifier"] = pkce()[0]
    elif case == "wrong resource":
        data["resource"] = "http://elsewhere.example/api/mcp"
    elif case == "other redirect uri":
        data["redirect_uri"] = "http://127.0.0.1:33418/other"
    elif case == "unknown client":
        data["client_id"] = "mcc_nobody"
    elif case == "other client":
        data["client_id"] = register(base)["client_id"]
    resp = token_request(base, **data)
    expected = {"unknown client": (401, "invalid_client"), "wrong resource": (400, "invalid_target")}
    status, error = expected.get(case, (400, "invalid_grant"))
    assert (resp.status_code, resp.json()["error"]) == (status, error)
    assert resp.headers["Cache-Control"] == "no-store"
    if first is not None:  # a replayed code revokes what the first exchange obtained
        assert mcp_status(base, first.json()["access_token"]) == 401


@pytest.mark.parametrize("case", ["revoked access token", "revoked refresh token", "refresh reuse after grace",
                                  "other audience", "REST API", "settings revoke"])
def test_tokens_that_no_longer_open_the_mcp_endpoint(make_app, notes_plugin, case):
    grace = 0 if case == "refresh reuse after grace" else 30
    with live_app(make_app, PLUGINS=notes_plugin, OAUTH_REFRESH_GRACE_SECONDS=grace) as (app, base):
        # Another instance on the same database with another public URL (made first: on PostgreSQL
        # making an app empties the tables).
        other = (make_app(BASE_URL="http://other.example", DATABASE_URL=app.config["DATABASE_URL"],
                          PLUGINS=notes_plugin) if case == "other audience" else None)
        make_account(app)
        person = Person(base)
        tok = obtain_tokens(base, person)
        access, client_id = tok["access_token"], tok["client"]["client_id"]
        assert mcp_status(base, access) == 200
        if case == "revoked access token":
            assert httpx.post(f"{base}/oauth/revoke", data={"token": access, "client_id": client_id}).status_code == 200
            assert refresh(base, client_id, tok["refresh_token"]).status_code == 200  # the refresh token lives on
        elif case == "revoked refresh token":
            resp = httpx.post(f"{base}/oauth/revoke", data={"token": tok["refresh_token"], "client_id": client_id,
                                                             "token_type_hint": "refresh_token"})
            assert resp.status_code == 200
            assert refresh(base, client_id, tok["refresh_token"]).json()["error"] == "invalid_grant"
        elif case == "refresh reuse after grace":
            rotated = refresh(base, client_id, tok["refresh_token"])
            assert rotated.status_code == 200
            replay = refresh(base, client_id, tok["refresh_token"])
            assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
            # The whole family is revoked: the rotated pair too.
            assert mcp_status(base, rotated.json()["access_token"]) == 401
            assert refresh(base, client_id, rotated.json()["refresh_token"]).status_code == 400
        elif case == "other audience":
            resp = other.test_client().post("/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                            headers={"Authorization": f"Bearer {access}", "Host": "other.example",
                                                     "accept": "application/json, text/event-stream"})
            assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
            assert mcp_status(base, access) == 200  # still good for the resource it was issued for
            return
        elif case == "REST API":
            resp = httpx.get(f"{base}/api/v1/mcp_keys", headers={"Authorization": f"Bearer {access}"})
            assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_key"
            return
        elif case == "settings revoke":
            page = person.http.get("/settings/ai").text
            assert "Hand Client" in page and "mcp:read mcp:write" in page
            grant_id = page.split("/settings/ai/oauth/")[1].split("/")[0]
            assert person.http.post(f"/settings/ai/oauth/{grant_id}/revoke").status_code == 400  # no CSRF
            assert mcp_status(base, access) == 200
            from tests.app.auth.oauth.support import csrf

            resp = person.http.post(f"/settings/ai/oauth/{grant_id}/revoke", data={"csrf_token": csrf(page)})
            assert resp.status_code == 302
            assert "No AI client is connected" in person.http.get("/settings/ai").text
            assert refresh(base, client_id, tok["refresh_token"]).status_code == 400
        assert mcp_status(base, access) == 401


def test_a_concurrent_refresh_within_the_grace_window_is_tolerated(live):
    app, base = live
    tok = obtain_tokens(base, Person(base))
    client_id = tok["client"]["client_id"]
    a = refresh(base, client_id, tok["refresh_token"])
    b = refresh(base, client_id, tok["refresh_token"])
    assert a.status_code == b.status_code == 200
    assert a.json()["refresh_token"] != b.json()["refresh_token"]
    assert mcp_status(base, a.json()["access_token"]) == mcp_status(base, b.json()["access_token"]) == 200


def test_refresh_cannot_widen_scope_and_keeps_the_resource(live):
    app, base = live
    person = Person(base, access="read")
    tok = obtain_tokens(base, person)
    assert tok["scope"] == "mcp:read"
    client_id = tok["client"]["client_id"]
    wider = refresh(base, client_id, tok["refresh_token"], scope="mcp:read mcp:write")
    assert wider.json()["error"] == "invalid_scope"
    other = refresh(base, client_id, tok["refresh_token"], resource="http://elsewhere.example/api/mcp")
    assert other.json()["error"] == "invalid_target"
    ok = refresh(base, client_id, tok["refresh_token"], resource=f"{base}/api/mcp")
    assert ok.status_code == 200 and ok.json()["scope"] == "mcp:read"


def test_unknown_account_in_other_instance_does_not_leak(live):
    """A token is a bearer credential for one account: other accounts see nothing of it."""
    app, base = live
    make_account(app, "eve@example.com")
    tok = obtain_tokens(base, Person(base))
    eve = Person(base, "eve@example.com")
    eve.sign_in()
    assert "No AI client is connected" in eve.http.get("/settings/ai").text
    grant_page = Person(base)
    grant_page.sign_in()
    grant_id = grant_page.http.get("/settings/ai").text.split("/settings/ai/oauth/")[1].split("/")[0]
    from tests.app.auth.oauth.support import csrf

    resp = eve.http.post(f"/settings/ai/oauth/{grant_id}/revoke", data={"csrf_token": csrf(eve.http.get("/settings/ai").text)})
    assert resp.status_code == 404
    assert mcp_status(base, tok["access_token"]) == 200
