"""Client ID Metadata Documents: the SDK client with an HTTPS client_id, the fetch rules
(exact client_id, no redirects, size cap, private addresses refused by default) and caching."""

from urllib.parse import urlencode

import httpx
import pytest

from tests.app.auth.oauth.support import (REDIRECT, Person, authorize_params, live_app, make_account, pkce,
                                          sdk_provider, sdk_session)


def test_sdk_client_with_a_metadata_document(cimd_live, docs):
    app, base = cimd_live
    client_id = docs.document("/client.json", headers={"Cache-Control": "max-age=300"})
    person = Person(base, access="read")
    provider = sdk_provider(base, person, client_metadata_url=client_id)

    async def go(client):
        return await client.call_tool("notes_list", {})

    assert sdk_session(base, provider, go).is_error is False
    assert provider.context.client_info.client_id == client_id
    page = person.consent_pages[0]
    assert 'id="client-name">Doc Client<' in page and 'id="client-host">127.0.0.1<' in page

    person.access = "write"

    async def write(client):
        return await client.call_tool("notes_add", {"text": "cimd"})

    assert sdk_session(base, provider, write).is_error is False
    assert provider.context.current_tokens.scope == "mcp:read mcp:write"
    assert docs.hits["/client.json"] == 1  # cached for max-age across authorize and token requests
    from app.auth.oauth.models import OAuthClient
    from app.extensions import db

    with app.app_context():  # nothing was registered: the document is the registration
        assert [c.kind for c in db.session.scalars(db.select(OAuthClient))] == ["cimd"]


def authorize_status(base: str, client_id: str) -> httpx.Response:
    _, challenge = pkce()
    return httpx.get(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client_id, challenge)))


@pytest.mark.parametrize("case", ["wrong client_id", "redirect", "too large", "not json", "secret",
                                  "no redirect uris", "not found"])
def test_unacceptable_documents_make_an_unknown_client(cimd_live, docs, case):
    app, base = cimd_live
    path = "/c/" + case.replace(" ", "-")
    url = docs.base + path
    if case == "wrong client_id":
        docs.document(path, client_id=docs.base + "/other")
    elif case == "redirect":
        docs.routes[path] = (302, {"Location": docs.document("/c/target")}, b"")
    elif case == "too large":
        docs.document(path, client_name="x" * 20_000)
    elif case == "not json":
        docs.document(path, raw=b"<html>")
    elif case == "secret":
        docs.document(path, client_secret="s3cret")
    elif case == "no redirect uris":
        docs.document(path, redirect_uris=[])
    resp = authorize_status(base, url)
    assert resp.status_code == 400 and "invalid_client" in resp.text
    token = httpx.post(f"{base}/oauth/token", data={"grant_type": "authorization_code", "code": "x",
                                                    "client_id": url, "redirect_uri": REDIRECT,
                                                    "code_verifier": "v" * 43})
    assert token.status_code == 401 and token.json()["error"] == "invalid_client"
    assert docs.hits.get("/c/target", 0) == 0


def test_loopback_documents_are_refused_without_the_test_setting(make_app, docs):
    with live_app(make_app, CIMD_CA_FILE=docs.cert) as (app, base):
        url = docs.document("/client.json")
        resp = authorize_status(base, url)
        assert resp.status_code == 400 and "invalid_client" in resp.text
        assert docs.hits.get("/client.json", 0) == 0  # refused before any connection


def test_no_store_documents_are_fetched_again(cimd_live, docs):
    app, base = cimd_live
    url = docs.document("/fresh.json", headers={"Cache-Control": "no-store"})
    assert authorize_status(base, url).status_code in (200, 302)
    assert authorize_status(base, url).status_code in (200, 302)
    assert docs.hits["/fresh.json"] == 2
