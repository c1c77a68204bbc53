"""Sign-up, sign-in and sign-out through the dashboard pages."""

import pytest

from tests.conftest import csrf_from, signup


def test_signup_signs_in_and_shows_the_dashboard(client):
    signup(client, email="Grace@Example.com", name="Grace")
    page = client.get("/").get_data(as_text=True)
    assert "Hello, Grace" in page
    assert "grace@example.com" in page  # stored lower-case


def test_email_is_unique_case_insensitively(client, app):
    signup(client, email="lin@example.com")
    other = app.test_client()
    token = csrf_from(other, "/signup")
    resp = other.post("/signup", data={"email": "LIN@example.COM", "password": "another password",
                                       "csrf_token": token})
    assert resp.status_code == 400
    assert "already exists" in resp.get_data(as_text=True)


def test_login_with_right_and_wrong_password(client, app):
    signup(client, email="kay@example.com", password="a long password")
    fresh = app.test_client()
    token = csrf_from(fresh)
    bad = fresh.post("/login", data={"email": "kay@example.com", "password": "nope nope", "csrf_token": token})
    assert bad.status_code == 400 and "Wrong email or password" in bad.get_data(as_text=True)
    ok = fresh.post("/login", data={"email": "KAY@example.com", "password": "a long password",
                                    "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"


def test_forms_without_csrf_token_are_refused(client):
    resp = client.post("/signup", data={"email": "x@example.com", "password": "long enough pw"})
    assert resp.status_code == 400
    assert client.get("/", follow_redirects=False).status_code == 302  # not signed in


def test_short_password_is_refused(client):
    token = csrf_from(client, "/signup")
    resp = client.post("/signup", data={"email": "x@example.com", "password": "short", "csrf_token": token})
    assert resp.status_code == 400


def test_logout_needs_a_post_with_csrf(client):
    signup(client)
    assert client.get("/logout").status_code == 200  # a confirmation form, not a sign-out
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 400
    token = csrf_from(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_parameter_is_never_an_open_redirect(client, target):
    token = csrf_from(client, "/signup")
    resp = client.post("/signup", query_string={"next": target},
                       data={"email": "r@example.com", "password": "long enough pw", "csrf_token": token})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_next_parameter_keeps_local_paths(client):
    token = csrf_from(client, "/signup")
    resp = client.post("/signup", query_string={"next": "/api/v1/help?topic=mcp"},
                       data={"email": "n@example.com", "password": "long enough pw", "csrf_token": token})
    assert resp.headers["Location"] == "/api/v1/help?topic=mcp"


def test_signup_can_be_closed(make_app):
    client = make_app(SIGNUP_OPEN=False).test_client()
    assert client.get("/signup").status_code == 403
    assert "Sign up" not in client.get("/login").get_data(as_text=True)


def test_session_cookie_flags(make_app):
    client = make_app(BASE_URL="https://api.example.com").test_client()
    token = csrf_from(client, "/signup")
    resp = client.post("/signup", data={"email": "c@example.com", "password": "long enough pw",
                                        "csrf_token": token}, base_url="https://api.example.com")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_login_is_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    token = csrf_from(client)
    codes = [client.post("/login", data={"email": "a@b.c", "password": "x", "csrf_token": token}).status_code
             for _ in range(21)]
    assert codes[:20] == [400] * 20
    assert codes[20] == 429
