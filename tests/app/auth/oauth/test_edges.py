"""Discovery documents, CORS for hosted connectors and browsers, rate limits (memory and Redis),
registration rules and pruning."""

import socket
import uuid
from datetime import timedelta

import httpx
import pytest

from tests.app.auth.oauth.support import REDIRECT, Person, live_app, obtain_tokens, register
from tests.live import LiveServer

REDIS_URL = "redis://127.0.0.1:6379/5"


def test_protected_resource_metadata_at_both_paths(live):
    app, base = live
    for path in ("/.well-known/oauth-protected-resource/api/mcp", "/.well-known/oauth-protected-resource"):
        doc = httpx.get(base + path).json()
        assert doc["resource"] == f"{base}/api/mcp"
        assert doc["authorization_servers"] == [base]
        assert doc["scopes_supported"] == ["mcp:read", "mcp:write"]


def test_authorization_server_metadata(live):
    app, base = live
    doc = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    assert doc["issuer"] == base
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["client_id_metadata_document_supported"] is True
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    for name, path in [("authorization_endpoint", "/oauth/authorize"), ("token_endpoint", "/oauth/token"),
                       ("registration_endpoint", "/oauth/register"), ("revocation_endpoint", "/oauth/revoke"),
                       ("device_authorization_endpoint", "/oauth/device_authorization")]:
        assert doc[name] == base + path
    assert "urn:ietf:params:oauth:grant-type:device_code" in doc["grant_types_supported"]


@pytest.mark.parametrize("path,method", [("/api/mcp", "POST"), ("/oauth/token", "POST"),
                                         ("/oauth/register", "POST"), ("/oauth/revoke", "POST"),
                                         ("/.well-known/oauth-authorization-server", "GET"),
                                         ("/.well-known/oauth-protected-resource/api/mcp", "GET")])
def test_cors_preflight(live, path, method):
    app, base = live
    resp = httpx.options(base + path, headers={
        "Origin": "https://claude.ai", "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version, mcp-session-id, "
                                          "mcp-method, mcp-name, x-api-key"})
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] in ("*", "https://claude.ai")
    allowed = resp.headers["Access-Control-Allow-Headers"].lower()
    for header in ("authorization", "content-type", "mcp-protocol-version", "mcp-session-id", "mcp-method",
                   "mcp-name", "x-api-key"):
        assert header in allowed
    assert method in resp.headers["Access-Control-Allow-Methods"]


def test_cors_exposes_www_authenticate_on_401(live):
    app, base = live
    resp = httpx.post(f"{base}/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                      headers={"Origin": "https://claude.ai", "accept": "application/json, text/event-stream"})
    assert resp.status_code == 401
    assert resp.headers["Access-Control-Allow-Origin"] in ("*", "https://claude.ai")
    assert "www-authenticate" in resp.headers["Access-Control-Expose-Headers"].lower()


def test_no_cors_on_pages_that_use_the_session_cookie(live):
    app, base = live
    resp = httpx.get(f"{base}/oauth/authorize", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize("body,error", [
    ({"client_name": "x"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ({"redirect_uris": [REDIRECT], "grant_types": ["password"]}, "invalid_client_metadata"),
])
def test_registration_refusals(live, body, error):
    app, base = live
    resp = httpx.post(f"{base}/oauth/register", json=body)
    assert resp.status_code == 400 and resp.json()["error"] == error
    assert httpx.post(f"{base}/oauth/register", content=b"nope").json()["error"] == "invalid_client_metadata"


def test_registration_gets_both_scopes_and_a_secret_only_when_asked(live):
    app, base = live
    public = register(base, scope="mcp:read")
    assert public["scope"] == "mcp:read mcp:write" and "client_secret" not in public
    confidential = register(base, token_endpoint_auth_method="client_secret_post")
    assert confidential["client_secret"].startswith("mcs_") and confidential["client_secret_expires_at"] == 0
    wrong = httpx.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "mrt_x",
                                                    "client_id": confidential["client_id"],
                                                    "client_secret": "wrong"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")


def test_unused_registrations_are_pruned_after_a_day(live):
    app, base = live
    stale, used = register(base), register(base)
    obtain_tokens(base, Person(base), used)
    from app.auth.oauth.models import OAuthClient
    from app.db import utcnow
    from app.extensions import db

    with app.app_context():
        db.session.execute(db.update(OAuthClient).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    register(base)  # pruning happens on registration
    with app.app_context():
        ids = set(db.session.scalars(db.select(OAuthClient.client_id)))
    assert stale["client_id"] not in ids and used["client_id"] in ids


def test_registration_and_token_rate_limits(make_app):
    with live_app(make_app, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=uuid.uuid4().hex,
                  OAUTH_REGISTER_RATE_LIMIT="2/hour", OAUTH_TOKEN_RATE_LIMIT="3/minute") as (app, base):
        assert [httpx.post(f"{base}/oauth/register", json={"redirect_uris": [REDIRECT]}).status_code
                for _ in range(3)] == [201, 201, 429]
        codes = [httpx.post(f"{base}/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x",
                                                         "client_id": "mcc_x"}).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = httpx.post(f"{base}/oauth/token", data={})
        assert limited.json()["error"]["code"] == "rate_limited" and "Retry-After" in limited.headers


def test_device_endpoints_are_rate_limited(make_app):
    with live_app(make_app, RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=uuid.uuid4().hex,
                  DEVICE_RATE_LIMIT="1/minute", DEVICE_POLL_RATE_LIMIT="2/minute") as (app, base):
        assert [httpx.post(f"{base}/v1/auth/device-code", json={}).status_code for _ in range(2)] == [201, 429]
        assert [httpx.post(f"{base}/v1/auth/device-code/poll", json={"device_code": "x" * 10}).status_code
                for _ in range(3)] == [400, 400, 429]


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_up(), reason="Redis is not reachable at 127.0.0.1:6379")
def test_redis_limit_storage_is_shared_by_two_instances(make_app):
    prefix = uuid.uuid4().hex
    config = dict(RATELIMIT_ENABLED=True, RATELIMIT_KEY_PREFIX=prefix, REDIS_URL=REDIS_URL,
                  OAUTH_REGISTER_RATE_LIMIT="2/hour")
    one, two = make_app(**config), make_app(**config)
    assert one.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    with LiveServer(one) as a, LiveServer(two) as b:
        body = {"redirect_uris": [REDIRECT]}
        assert httpx.post(f"{a.url}/oauth/register", json=body).status_code == 201
        assert httpx.post(f"{b.url}/oauth/register", json=body).status_code == 201
        assert httpx.post(f"{a.url}/oauth/register", json=body).status_code == 429
        assert httpx.post(f"{b.url}/oauth/register", json=body).status_code == 429
