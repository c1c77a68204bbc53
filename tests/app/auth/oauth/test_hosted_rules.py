"""SPEC §5 "rules that real hosted clients need", each through HTTP with its refusal: consent
preselecting what was asked, `resource` optional, unknown scopes ignored, refresh tokens for
clients that registered the grant, redirect-URI rules, trusted proxies and the registration limit."""

import re
import uuid
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from app import ConfigError, create_app
from tests.app.auth.oauth.support import (REDIRECT, Person, authorize_params, code_from, live_app, make_account,
                                          obtain_tokens, pkce, refresh, register)
from tests.conftest import base_config

CHECKED = re.compile(r'<input checked id="access-\d" name="access" type="radio" value="(\w+)">')


def consent_page(base, person, client_id, **overrides) -> str:
    _, challenge = pkce()
    page = person.follow(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client_id, challenge,
                                                                                 **overrides)))
    assert page.status_code == 200, page.text
    return unescape(page.text)


def offered_and_preselected(html: str) -> tuple[list[str], list[str]]:
    offered = re.findall(r'name="access" type="radio" value="(\w+)"', html)
    return offered, CHECKED.findall(html)


def write_call(base, token) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "notes_add",
                                                                         "arguments": {"text": "x"}}}
    return httpx.post(f"{base}/api/mcp", json=body, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25"})


@pytest.mark.parametrize("scope,offered,preselected", [
    ("mcp:read mcp:write", ["read", "write"], ["write"]),
    ("mcp:read", ["read"], ["read"]),
    (None, ["read", "write"], ["write"]),  # nothing asked: what the client may have
    ("offline_access openid", ["read", "write"], ["write"]),
], ids=["both", "read", "no scope", "only unknown scopes"])
def test_consent_preselects_what_the_client_asked_for(live, scope, offered, preselected):
    app, base = live
    client = register(base)
    html = consent_page(base, Person(base), client["client_id"], scope=scope)
    assert offered_and_preselected(html) == (offered, preselected)


def test_accepting_the_defaults_writes_and_narrowing_to_read_is_a_clear_refusal(live):
    app, base = live
    client = register(base)
    person = Person(base, access=None)  # posts no choice of its own: the preselected one is sent below
    html = consent_page(base, person, client["client_id"])
    default = offered_and_preselected(html)[1][0]
    person.access = default
    written = obtain_tokens(base, person, client)
    assert written["scope"] == "mcp:read mcp:write"
    assert write_call(base, written["access_token"]).status_code == 200

    narrowed = obtain_tokens(base, Person(base, access="read"), client)
    assert narrowed["scope"] == "mcp:read"
    refused = write_call(base, narrowed["access_token"])
    assert refused.status_code == 403
    assert refused.json()["error"]["data"] == {"code": "insufficient_scope", "scope": "mcp:write"}
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]


@pytest.mark.parametrize("at_authorize,at_token", [
    (None, None), ("{base}/api/mcp/", None), (None, "{base}/api/mcp/"), ("{base}/api/mcp", "{base}/api/mcp"),
], ids=["omitted", "trailing slash at authorize", "trailing slash at token", "exact"])
def test_resource_is_optional_and_binds_the_mcp_endpoint(live, at_authorize, at_token):
    app, base = live
    fmt = lambda v: v.format(base=base) if v else None  # noqa: E731
    client = register(base)
    verifier, challenge = pkce()
    url = f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"], challenge,
                                                                  resource=fmt(at_authorize)))
    got = code_from(Person(base).authorize(url))
    data = {"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT,
            "client_id": client["client_id"], "code_verifier": verifier}
    if at_token:
        data["resource"] = fmt(at_token)
    token = httpx.post(f"{base}/oauth/token", data=data)
    assert token.status_code == 200, token.text
    assert write_call(base, token.json()["access_token"]).status_code == 200  # audience is /api/mcp
    again = refresh(base, client["client_id"], token.json()["refresh_token"])  # no resource: still bound
    assert again.status_code == 200 and write_call(base, again.json()["access_token"]).status_code == 200


@pytest.mark.parametrize("resources", [["http://elsewhere.example/api/mcp"], ["{base}/api"],
                                       ["{base}/api/mcp", "{base}/api/mcp"]],
                         ids=["other server", "other path", "two resources"])
def test_a_resource_that_is_not_the_mcp_endpoint_is_invalid_target(live, resources):
    app, base = live
    client = register(base)
    _, challenge = pkce()
    params = list(authorize_params(base, client["client_id"], challenge, resource=None).items())
    params += [("resource", r.format(base=base)) for r in resources]
    resp = Person(base).follow(f"{base}/oauth/authorize?" + urlencode(params))
    assert resp.status_code == 302
    assert parse_qs(urlsplit(resp.headers["location"]).query)["error"] == ["invalid_target"]
    # and at the token endpoint, for a code obtained without one
    verifier, challenge = pkce()
    got = code_from(Person(base).authorize(f"{base}/oauth/authorize?" + urlencode(
        authorize_params(base, client["client_id"], challenge, resource=None))))
    data = [("grant_type", "authorization_code"), ("code", got["code"]), ("redirect_uri", REDIRECT),
            ("client_id", client["client_id"]), ("code_verifier", verifier)]
    token = httpx.post(f"{base}/oauth/token", content=urlencode(data + [("resource", r.format(base=base))
                                                                        for r in resources]),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert token.status_code == 400 and token.json()["error"] == "invalid_target"


def test_unknown_scopes_are_ignored_and_the_response_says_what_was_granted(live):
    app, base = live
    client = register(base)
    person = Person(base)
    verifier, challenge = pkce()
    url = f"{base}/oauth/authorize?" + urlencode(authorize_params(
        base, client["client_id"], challenge, scope="openid profile email offline_access claudeai mcp:read mcp:write"))
    got = code_from(person.authorize(url))
    assert "code" in got, got
    token = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT,
        "client_id": client["client_id"], "code_verifier": verifier})
    assert token.json()["scope"] == "mcp:read mcp:write" and token.json()["refresh_token"].startswith("mrt_")
    again = refresh(base, client["client_id"], token.json()["refresh_token"], scope="offline_access mcp:read")
    assert again.status_code == 200 and again.json()["scope"] == "mcp:read"
    assert write_call(base, again.json()["access_token"]).status_code == 403


@pytest.mark.parametrize("grant_types,gets_refresh", [
    (["authorization_code", "refresh_token"], True), (None, True), (["authorization_code"], False)])
def test_refresh_tokens_for_every_client_that_registered_the_grant(live, grant_types, gets_refresh):
    app, base = live
    client = register(base, **({"grant_types": grant_types} if grant_types else {}),
                      token_endpoint_auth_method="client_secret_post")
    tok = obtain_tokens(base, Person(base), client, client_secret=client["client_secret"])
    assert ("refresh_token" in tok) is gets_refresh


ALLOWED = ["https://claude.ai/api/mcp/auth_callback", "http://localhost/callback", "http://127.0.0.1/callback",
           "http://[::1]:8080/cb", "http://localhost:8787/callback", "cursor://anysphere.cursor-mcp/oauth/callback",
           "com.example.app:/oauth2redirect", "com.example.app://cb", "https://vscode.dev/redirect",
           "http://127.0.0.1:33418/"]
REFUSED = ["http://evil.example/cb", "http://192.168.1.10/cb", "myapp://callback", "javascript://x.y/%0aalert(1)",
           "https://claude.ai/cb#frag", "data://text.plain/x", "file://host.example/etc", "not a url"]


@pytest.mark.parametrize("uri", ALLOWED)
def test_registration_accepts_https_loopback_and_private_use_redirect_uris(live, uri):
    app, base = live
    assert register(base, redirect_uris=[uri])["redirect_uris"] == [uri]


@pytest.mark.parametrize("uri", REFUSED)
def test_registration_refuses_other_redirect_uris(live, uri):
    app, base = live
    resp = httpx.post(f"{base}/oauth/register", json={"client_name": "x", "redirect_uris": [REDIRECT, uri],
                                                      "token_endpoint_auth_method": "none"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_redirect_uri", resp.text


def test_a_portless_loopback_redirect_is_used_with_an_ephemeral_port(live):
    app, base = live
    client = register(base, redirect_uris=["http://localhost/callback", "http://127.0.0.1/callback"])
    verifier, challenge = pkce()
    used = "http://127.0.0.1:49321/callback"
    url = f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client["client_id"], challenge,
                                                                  redirect_uri=used))
    location = Person(base).authorize(url)
    assert location.startswith(used + "?code=")
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = httpx.post(f"{base}/oauth/token", data={"grant_type": "authorization_code", "code": code,
                                                    "redirect_uri": used, "client_id": client["client_id"],
                                                    "code_verifier": verifier})
    assert token.status_code == 200, token.text
    other = authorize_params(base, client["client_id"], challenge, redirect_uri="http://127.0.0.2:49321/callback")
    assert Person(base).follow(f"{base}/oauth/authorize?" + urlencode(other)).status_code == 400


def registrations(base, n, forwarded_for=None) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with httpx.Client() as http:
        return [http.post(f"{base}/oauth/register", headers=headers, json={
            "client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
            "token_endpoint_auth_method": "none"}).status_code for _ in range(n)]


def test_at_least_100_registrations_an_hour_from_one_address(make_app, notes_plugin):
    with live_app(make_app, PLUGINS=notes_plugin, RATELIMIT_ENABLED=True,
                  RATELIMIT_KEY_PREFIX=uuid.uuid4().hex) as (app, base):
        assert app.config["OAUTH_REGISTER_RATE_LIMIT"] == "100/hour"  # the default
        assert registrations(base, 100) == [201] * 100
        assert registrations(base, 1) == [429]


def test_behind_trusted_proxies_each_forwarded_client_has_its_own_limit(make_app, notes_plugin):
    with live_app(make_app, PLUGINS=notes_plugin, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=uuid.uuid4().hex,
                  OAUTH_REGISTER_RATE_LIMIT="2/hour", TRUSTED_PROXIES=1) as (app, base):
        assert registrations(base, 3, "203.0.113.7") == [201, 201, 429]
        assert registrations(base, 2, "198.51.100.9") == [201, 201]  # another client behind the proxy
        # the nearest hop's address is what counts: a client cannot pick a fresh one by prepending
        assert registrations(base, 1, "192.0.2.1, 203.0.113.7") == [429]


def test_without_trusted_proxies_forwarded_headers_are_ignored(make_app, notes_plugin):
    with live_app(make_app, PLUGINS=notes_plugin, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=uuid.uuid4().hex,
                  OAUTH_REGISTER_RATE_LIMIT="2/hour") as (app, base):
        assert app.config["TRUSTED_PROXIES"] == 0
        assert registrations(base, 2, "203.0.113.7") == [201, 201]
        assert registrations(base, 1, "198.51.100.9") == [429]  # the same address (the proxy's) for everyone


def mcp_key(app) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "create-mcp", "ada@example.com"])
    assert result.exit_code == 0, result.output
    return re.search(r"tm_mcp_[\w-]+", result.output).group(0)


@pytest.mark.parametrize("hops,forwarded_host,ok", [
    (1, "mcp.example.com", False), (1, "127.0.0.1", True), (0, "mcp.example.com", True)],
    ids=["trusted: other host refused", "trusted: the public host", "not trusted: header ignored"])
def test_the_mcp_host_check_sees_the_forwarded_host_only_behind_trusted_proxies(make_app, notes_plugin, hops,
                                                                              forwarded_host, ok):
    with live_app(make_app, PLUGINS=notes_plugin, TRUSTED_PROXIES=hops) as (app, base):
        make_account(app)
        resp = httpx.post(f"{base}/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers={
            "x-api-key": mcp_key(app), "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-11-25", "X-Forwarded-Host": forwarded_host,
            "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
        assert (resp.status_code == 200) is ok, resp.text
        if not ok:
            assert resp.status_code in (400, 421) and "host" in resp.text.lower()


@pytest.mark.parametrize("value", ["-1", "two", "11", True])
def test_trusted_proxies_is_checked_at_startup(tmp_path, value):
    with pytest.raises(ConfigError, match="MINAPI_TRUSTED_PROXIES"):
        create_app(base_config(tmp_path, TRUSTED_PROXIES=value))


def test_trusted_proxies_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MINAPI_TRUSTED_PROXIES", "2")
    assert create_app(base_config(tmp_path)).config["TRUSTED_PROXIES"] == 2
