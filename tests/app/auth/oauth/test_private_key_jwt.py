"""ChatGPT-style CIMD clients authenticating with `private_key_jwt` (RFC 7523): the document and
its JWKS served over local HTTPS, the assertion signed here, and every refusal: a forged
signature, a replayed jti, a wrong aud, an expired one, one without exp, a JWKS on a private
address when those are not allowed."""

import time
import uuid
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from tests.app.auth.oauth.cimd_server import DocumentServer
from tests.app.auth.oauth.support import (REDIRECT, Person, authorize_params, code_from, live_app, make_account,
                                          mcp_status, pkce)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class Signer:
    """A ChatGPT-like client: its metadata document, its JWKS, and assertions signed with its key."""

    def __init__(self, docs: DocumentServer, path="/oauth/abc123/client.json", key=None, kid="k1"):
        self.key = key or RSAKey.generate_key(2048, parameters={"kid": kid})
        self.kid = kid
        self.jwks_path = path.rsplit("/", 1)[0] + "/jwks.json"
        docs.routes[self.jwks_path] = (200, {"Content-Type": "application/json", "Cache-Control": "max-age=600"},
                                       _jwks(self.key))
        self.client_id = docs.document(path, client_name="ChatGPT", redirect_uris=[REDIRECT],
                                       token_endpoint_auth_method="private_key_jwt",
                                       jwks_uri=docs.base + self.jwks_path,
                                       headers={"Cache-Control": "max-age=600"})

    def assertion(self, aud: str, key=None, **claims) -> str:
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": aud, "iat": now, "exp": now + 300,
                "jti": uuid.uuid4().hex, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        alg = "RS256" if isinstance(key or self.key, RSAKey) else "ES256"
        return jwt.encode({"alg": alg, "kid": self.kid, "typ": "JWT"}, body, key or self.key)


def _jwks(key) -> bytes:
    import json

    return json.dumps({"keys": [key.as_dict(private=False)]}).encode()


def code_for(base, signer) -> tuple[str, str]:
    verifier, challenge = pkce()
    url = f"{base}/oauth/authorize?" + urlencode(authorize_params(base, signer.client_id, challenge))
    return code_from(Person(base).authorize(url))["code"], verifier


def token_request(base, signer, code, verifier, assertion=None, **extra) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": signer.client_id, "code_verifier": verifier,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion or signer.assertion(f"{base}/oauth/token"), **extra}
    return httpx.post(f"{base}/oauth/token", data={k: v for k, v in data.items() if v is not None})


def test_a_private_key_jwt_client_gets_tokens_refreshes_and_writes(cimd_live, docs):
    app, base = cimd_live
    signer = Signer(docs)
    code, verifier = code_for(base, signer)
    resp = token_request(base, signer, code, verifier)
    assert resp.status_code == 200, resp.text
    tok = resp.json()
    assert tok["scope"] == "mcp:read mcp:write" and tok["refresh_token"].startswith("mrt_")
    assert mcp_status(base, tok["access_token"], "tools/call", {"name": "notes_add", "arguments": {"text": "g"}}) == 200

    # refresh, with a fresh assertion whose aud is the issuer this time
    again = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tok["refresh_token"],
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": signer.assertion(base)})
    assert again.status_code == 200, again.text
    assert mcp_status(base, again.json()["access_token"]) == 200
    assert docs.hits[signer.jwks_path] == 1  # the JWKS is cached


def test_the_root_document_shape_and_an_ec_key(cimd_live, docs):
    app, base = cimd_live
    signer = Signer(docs, path="/oauth/client.json", key=ECKey.generate_key("P-256", parameters={"kid": "e1"}),
                    kid="e1")
    code, verifier = code_for(base, signer)
    assert token_request(base, signer, code, verifier).status_code == 200


def test_metadata_advertises_private_key_jwt(cimd_live):
    app, base = cimd_live
    meta = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert "RS256" in meta["token_endpoint_auth_signing_alg_values_supported"]


def refused(resp: httpx.Response) -> str:
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"] == "invalid_client"
    return resp.json().get("error_description", "")


REASONS = {"forged signature": "signature", "wrong aud": "aud", "expired": "expired", "missing exp": "exp",
           "exp years away": "more than a day",
           "missing jti": "JWT ID", "iss is not sub": "Issuer and Subject", "other client's subject": "private_key_jwt",
           "no assertion": "cannot authenticate", "unknown kid": "kid", "garbage": "Invalid JWT",
           "hmac with the public key": "HS256"}


@pytest.mark.parametrize("case", ["forged signature", "wrong aud", "expired", "missing exp", "exp years away",
                                  "missing jti", "iss is not sub", "other client's subject", "no assertion",
                                  "unknown kid", "garbage", "hmac with the public key"])
def test_bad_assertions_are_invalid_client(cimd_live, docs, case):
    app, base = cimd_live
    signer = Signer(docs)
    code, verifier = code_for(base, signer)
    token_url = f"{base}/oauth/token"
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assertion = {
        "forged signature": lambda: signer.assertion(token_url, key=other),
        "wrong aud": lambda: signer.assertion("https://elsewhere.example/oauth/token"),
        "expired": lambda: signer.assertion(token_url, exp=int(time.time()) - 600, iat=int(time.time()) - 900),
        "missing exp": lambda: signer.assertion(token_url, exp=None),
        "exp years away": lambda: signer.assertion(token_url, exp=253402300800),
        "missing jti": lambda: signer.assertion(token_url, jti=None),
        "iss is not sub": lambda: signer.assertion(token_url, iss="https://chatgpt.com/oauth/other/client.json"),
        "other client's subject": lambda: signer.assertion(token_url, sub=docs.document("/other.json"),
                                                           iss=docs.base + "/other.json"),
        "no assertion": lambda: None,
        "unknown kid": lambda: jwt.encode({"alg": "RS256", "kid": "k9"}, {
            "iss": signer.client_id, "sub": signer.client_id, "aud": token_url, "exp": int(time.time()) + 60,
            "jti": "x"}, other),
        "garbage": lambda: "not.a.jwt",
        "hmac with the public key": lambda: _hmac_confusion(signer, token_url),
    }[case]()
    if case == "no assertion":
        resp = httpx.post(token_url, data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": REDIRECT, "client_id": signer.client_id,
                                           "code_verifier": verifier})
    else:
        resp = token_request(base, signer, code, verifier, assertion=assertion)
    assert REASONS[case] in refused(resp)
    # the code itself is still good for the real client
    assert token_request(base, signer, code, verifier).status_code == 200


def _hmac_confusion(signer, aud):
    """An HS256 token whose secret is the client's public key: must not verify (algorithm confusion)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = b64(json.dumps({"alg": "HS256", "kid": signer.kid}).encode())
    now = int(time.time())
    payload = b64(json.dumps({"iss": signer.client_id, "sub": signer.client_id, "aud": aud, "exp": now + 60,
                              "jti": uuid.uuid4().hex}).encode())
    secret = signer.key.as_pem(private=False)
    sig = b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{sig}"


def test_a_replayed_assertion_is_refused(cimd_live, docs):
    app, base = cimd_live
    signer = Signer(docs)
    assertion = signer.assertion(f"{base}/oauth/token")
    code, verifier = code_for(base, signer)
    assert token_request(base, signer, code, verifier, assertion=assertion).status_code == 200
    code2, verifier2 = code_for(base, signer)
    assert "used" in refused(token_request(base, signer, code2, verifier2, assertion=assertion))
    assert token_request(base, signer, code2, verifier2).status_code == 200  # a fresh jti is fine
    from app.auth.oauth.models import UsedAssertion
    from app.extensions import db

    with app.app_context():  # kept in the database (every worker and host sees it) until it expires
        assert len(db.session.scalars(db.select(UsedAssertion)).all()) == 2


def test_a_jwks_on_a_private_address_is_refused_when_those_are_not_allowed(cimd_live, docs):
    app, base = cimd_live
    signer = Signer(docs)
    code, verifier = code_for(base, signer)  # the document is fetched (and cached) while allowed
    app.config["CIMD_ALLOW_PRIVATE_ADDRESSES"] = False
    try:
        description = refused(token_request(base, signer, code, verifier))
    finally:
        app.config["CIMD_ALLOW_PRIVATE_ADDRESSES"] = True
    assert "non-public address" in description
    assert docs.hits.get(signer.jwks_path) is None  # never fetched


@pytest.mark.parametrize("fields,why", [
    ({"token_endpoint_auth_method": "private_key_jwt"}, "no jwks_uri"),
    ({"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://127.0.0.1/jwks.json"}, "http jwks_uri"),
    ({"token_endpoint_auth_method": "client_secret_post"}, "secret method"),
    ({"redirect_uris": ["http://evil.example/cb"]}, "non-loopback http redirect"),
])
def test_unacceptable_documents_make_an_unknown_client(cimd_live, docs, fields, why):
    app, base = cimd_live
    client_id = docs.document(f"/bad-{uuid.uuid4().hex[:6]}.json", **fields)
    _, challenge = pkce()
    resp = httpx.get(f"{base}/oauth/authorize?" + urlencode(authorize_params(base, client_id, challenge)))
    assert resp.status_code == 400 and "invalid_client" in resp.text


def test_registration_cannot_choose_private_key_jwt(cimd_live):
    app, base = cimd_live
    resp = httpx.post(f"{base}/oauth/register", json={"client_name": "x", "redirect_uris": [REDIRECT],
                                                      "token_endpoint_auth_method": "private_key_jwt"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client_metadata"
