"""Device login: the seed's device-code → approval → poll → mcp-exchange flow, every error of
its table, and the standard RFC 8628 grant at the token endpoint."""

import httpx
import pytest

from tests.app.auth.oauth.support import Person, csrf, live_app, make_account, mcp_status, register
from tests.live import mcp_call

ALLOWED = "claude-ai-web-prod,cursor"


def approve(base, user_code, *, access="write", decision="allow", email="ada@example.com"):
    person = Person(base, email)
    page = person.follow(f"{base}/device?user_code={user_code}")
    assert page.status_code == 200 and "device-client" in page.text
    resp = person.http.post("/device", data={"csrf_token": csrf(page.text), "user_code": user_code,
                                             "access": access, "decision": decision})
    assert resp.status_code == 200 and "device-done" in resp.text, resp.text
    return person


def start(base, client_id="claude-ai-web-prod"):
    resp = httpx.post(f"{base}/v1/auth/device-code", json={"client_id": client_id})
    assert resp.status_code == 201, resp.text
    return resp.json()


def poll(base, device_code):
    return httpx.post(f"{base}/v1/auth/device-code/poll", json={"device_code": device_code})


def session_token(base, *, access="write"):
    started = start(base)
    approve(base, started["user_code"], access=access)
    resp = poll(base, started["device_code"])
    assert resp.json()["status"] == "approved"
    return resp.json()["session_token"]


def exchange(base, **body):
    return httpx.post(f"{base}/v1/auth/mcp-exchange", json=body)


@pytest.fixture
def dev(make_app, notes_plugin):
    with live_app(make_app, PLUGINS=notes_plugin, ALLOWED_MCP_CLIENT_IDS=ALLOWED) as (app, url):
        make_account(app)
        yield app, url


def test_seed_flow_end_to_end(dev):
    app, base = dev
    started = start(base)
    assert set(started) == {"device_code", "user_code", "verification_url", "verification_uri",
                            "verification_uri_complete", "expires_in", "interval"}
    assert started["verification_uri"] == f"{base}/device"
    assert poll(base, started["device_code"]).json() == {"status": "pending", "interval": 5}
    approve(base, started["user_code"], access="read")
    approved = poll(base, started["device_code"]).json()
    assert approved["status"] == "approved" and approved["session_token"].startswith("stk_")
    assert poll(base, started["device_code"]).json()["error"]["code"] == "device_code_used"  # one time

    resp = exchange(base, session_token=approved["session_token"], client_id="claude-ai-web-prod",
                    label="Claude Desktop on Ada's Mac")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"api_key", "user_id", "key_id", "expires_at"} and body["expires_at"] is None
    assert body["api_key"].startswith("tm_mcp_") and body["user_id"].startswith("acc_")

    async def go(client):
        return await client.call_tool("notes_list", {})

    assert mcp_call(base, body["api_key"], go).is_error is False
    person = Person(base)
    person.sign_in()
    keys = person.http.get("/api/v1/mcp_keys").json()["keys"]
    assert [(k["id"], k["label"], k["created_by"], k["scopes"]) for k in keys] == [
        (body["key_id"], "mcp:claude-ai-web-prod:Claude Desktop on Ada's Mac", "mcp-exchange", ["mcp:read"])]
    again = exchange(base, session_token=approved["session_token"], client_id="claude-ai-web-prod")
    assert (again.status_code, again.json()["error"]["code"]) == (401, "invalid_token")


def test_label_is_truncated_to_100_characters_and_defaults(dev):
    app, base = dev
    long = exchange(base, session_token=session_token(base), client_id="claude-ai-web-prod", label="L" * 80)
    short = exchange(base, session_token=session_token(base), client_id="cursor")
    person = Person(base)
    person.sign_in()
    labels = {k["id"]: k["label"] for k in person.http.get("/api/v1/mcp_keys").json()["keys"]}
    assert labels[long.json()["key_id"]] == ("mcp:claude-ai-web-prod:" + "L" * 80)[:100]
    assert labels[short.json()["key_id"]] == "mcp:cursor:mcp-connection"


@pytest.mark.parametrize("case,status,code", [
    ("disabled", 403, "mcp_exchange_disabled"),
    ("client not allowed", 403, "invalid_client_id"),
    ("unknown token", 401, "invalid_token"),
    ("used token", 401, "invalid_token"),
    ("expired token", 401, "invalid_token"),
    ("deleted account", 401, "user_not_found"),
    ("rate limited", 429, "rate_limited"),
    ("extra field", 400, "validation_failed"),
    ("label too long", 400, "validation_failed"),
])
def test_exchange_errors_of_the_seed(make_app, notes_plugin, case, status, code):
    config = {"ALLOWED_MCP_CLIENT_IDS": "" if case == "disabled" else ALLOWED}
    if case == "rate limited":
        config.update(RATELIMIT_ENABLED=True, MCP_EXCHANGE_RATE_LIMIT="1/hour")
    with live_app(make_app, PLUGINS=notes_plugin, **config) as (app, base):
        make_account(app)
        token = session_token(base)
        body = {"session_token": token, "client_id": "claude-ai-web-prod"}
        if case == "client not allowed":
            body["client_id"] = "evil-host"
        elif case == "unknown token":
            body["session_token"] = "stk_" + "x" * 40
        elif case == "used token":
            assert exchange(base, **body).status_code == 200
        elif case == "expired token" or case == "deleted account":
            from app.auth.oauth.models import DeviceCode
            from app.db import utcnow
            from app.extensions import db

            with app.app_context():  # time passes / the account is deleted
                if case == "expired token":
                    db.session.execute(db.update(DeviceCode).values(session_expires_at=utcnow()))
                else:
                    db.session.execute(db.text("DELETE FROM accounts"))
                db.session.commit()
        elif case == "rate limited":
            assert exchange(base, **body).status_code == 200
            body["session_token"] = session_token(base)
        elif case == "extra field":
            body["scope"] = "mcp:write"
        elif case == "label too long":
            body["label"] = "x" * 81
        resp = exchange(base, **body)
        assert (resp.status_code, resp.json()["error"]["code"]) == (status, code)
        if case in ("rate limited", "client not allowed"):
            # The session token was not consumed by the refusal.
            assert exchange(base, session_token=body["session_token"], client_id="cursor").status_code == \
                (200 if case == "client not allowed" else 429)


def test_poll_reports_denied_and_expired(dev):
    app, base = dev
    denied = start(base)
    approve(base, denied["user_code"], decision="deny")
    assert poll(base, denied["device_code"]).json() == {"status": "denied"}
    expired = start(base)
    from app.auth.oauth.models import DeviceCode
    from app.db import utcnow
    from app.extensions import db

    with app.app_context():
        db.session.execute(db.update(DeviceCode).values(expires_at=utcnow()))
        db.session.commit()
    assert poll(base, expired["device_code"]).json() == {"status": "expired"}
    unknown = poll(base, "mdc_" + "y" * 40)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "invalid_device_code")
    person = Person(base)
    page = person.follow(f"{base}/device?user_code={expired['user_code']}")
    assert "unknown, already used or expired" in page.text


def test_verification_page_needs_sign_in_and_csrf(dev):
    app, base = dev
    started = start(base)
    anon = httpx.get(f"{base}/device?user_code={started['user_code']}")
    assert anon.status_code == 302 and anon.headers["location"].startswith("/login?next=")
    person = Person(base)
    person.sign_in()
    resp = person.http.post("/device", data={"user_code": started["user_code"], "decision": "allow",
                                             "access": "write"})
    assert resp.status_code == 400
    assert poll(base, started["device_code"]).json()["status"] == "pending"


def test_rfc8628_device_grant_at_the_token_endpoint(dev):
    app, base = dev
    client = register(base, grant_types=["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
                      redirect_uris=[])
    started = httpx.post(f"{base}/oauth/device_authorization", data={"client_id": client["client_id"],
                                                                     "scope": "mcp:read mcp:write"}).json()
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": started["device_code"],
             "client_id": client["client_id"]}
    pending = httpx.post(f"{base}/oauth/token", data=grant)
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")
    fast = httpx.post(f"{base}/oauth/token", data=grant)
    assert fast.json()["error"] == "slow_down"
    approve(base, started["user_code"], access="write")
    token = httpx.post(f"{base}/oauth/token", data=grant)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["scope"] == "mcp:read mcp:write" and body["refresh_token"].startswith("mrt_")
    assert mcp_status(base, body["access_token"]) == 200
    assert httpx.post(f"{base}/oauth/token", data=grant).status_code == 400  # used once
    code_client = register(base)
    refused = httpx.post(f"{base}/oauth/device_authorization", data={"client_id": code_client["client_id"]})
    assert refused.json()["error"] == "unauthorized_client"
