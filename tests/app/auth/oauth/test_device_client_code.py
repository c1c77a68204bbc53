"""Device login with a client-generated `device_code`, as CueAPI's clients send it (SPEC §5).

The client makes an 8-character code, shows it as `XXXX-XXXX`, posts it to
`/v1/auth/device-code`, and polls with it; the person approves that same code at `/device`.
"""

import httpx
import pytest

from tests.app.auth.oauth.test_device import ALLOWED, approve, dev, exchange, poll  # noqa: F401 (dev: fixture)
from tests.live import mcp_call

FIELDS = {"device_code", "verification_url", "verification_uri", "verification_uri_complete", "user_code",
          "expires_in", "interval"}


def start_with(base, device_code, client_id="claude-ai-web-prod"):
    return httpx.post(f"{base}/v1/auth/device-code", json={"device_code": device_code, "client_id": client_id})


@pytest.mark.parametrize("sent,shown", [("AB12-CD34", "AB12-CD34"), ("ab12cd34", "AB12-CD34"),
                                        ("WXYZ-2345", "WXYZ-2345")])
def test_client_code_is_approved_polled_and_exchanged(dev, sent, shown):
    app, base = dev
    resp = start_with(base, sent)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == FIELDS
    assert body["device_code"] == body["user_code"] == shown
    assert body["verification_uri"] == f"{base}/device"
    assert body["verification_url"] == body["verification_uri_complete"] == f"{base}/device?user_code={shown}"
    assert (body["expires_in"], body["interval"]) == (600, 5)
    assert poll(base, sent).json() == {"status": "pending", "interval": 5}
    approve(base, shown.lower(), access="write")  # the person may type it in either case, with or without dash
    approved = poll(base, sent).json()
    assert approved["status"] == "approved" and approved["session_token"].startswith("stk_")
    key = exchange(base, session_token=approved["session_token"], client_id="cursor", label="laptop")
    assert key.status_code == 200, key.text

    async def go(client):
        return await client.call_tool("notes_add", {"text": "from a CueAPI-style login"})

    assert mcp_call(base, key.json()["api_key"], go).is_error is False


@pytest.mark.parametrize("bad", ["ABC-1234", "ABCD-12345", "ABCD_1234", "ABCD 1234", "ÄBCD-1234", "", "ABCD--1234",
                                 12345678, "ABCDEFGHI", ["ABCD-1234"], {"code": "ABCD1234"}])
def test_malformed_client_code_is_invalid_device_code(dev, bad):
    app, base = dev
    resp = start_with(base, bad)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "invalid_device_code"
    assert "XXXX-XXXX" in resp.json()["error"]["message"]


def test_duplicate_client_code_is_409_and_the_first_still_works(dev):
    app, base = dev
    assert start_with(base, "QRST-7890").status_code == 201
    for again in ("QRST-7890", "qrst7890"):
        resp = start_with(base, again, client_id="cursor")
        assert (resp.status_code, resp.json()["error"]["code"]) == (409, "device_code_exists")
    approve(base, "QRST-7890", access="read")
    assert poll(base, "QRST-7890").json()["status"] == "approved"
    assert start_with(base, "QRST-7890").status_code == 409  # a used code stays taken


def test_without_a_code_the_server_makes_one(dev):
    app, base = dev
    resp = httpx.post(f"{base}/v1/auth/device-code", json={})
    assert resp.status_code == 201
    body = resp.json()
    assert set(body) == FIELDS and body["device_code"].startswith("mdc_") and body["device_code"] != body["user_code"]
    other = httpx.post(f"{base}/v1/auth/device-code", json={"device_code": None}).json()
    assert other["device_code"].startswith("mdc_") and other["device_code"] != body["device_code"]


def test_a_server_user_code_cannot_be_claimed_as_a_client_code(dev):
    app, base = dev
    server = httpx.post(f"{base}/v1/auth/device-code", json={}).json()
    resp = start_with(base, server["user_code"])
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "device_code_exists")
    assert poll(base, server["user_code"]).json()["error"]["code"] == "invalid_device_code"
