"""`private_key_jwt` client authentication (RFC 7523 §2.2) for CIMD clients such as ChatGPT.

The token request carries a JWT signed with the client's private key. Authlib's
`JWTBearerClientAssertion` decodes it and checks `iss` = `sub` = the client, `aud`
(our token endpoint or issuer), `exp` (required) and `jti`; here we supply the keys
and the single-use rule:

- the keys are the JWKS at the `jwks_uri` of the client's metadata document, fetched
  under the same SSRF guard, timeout and size cap as the document (`cimd.fetch_bytes`)
  and cached per process for as long as its cache headers allow; an unknown `kid`
  fetches them again (key rotation), at most once a minute;
- a used `jti` is kept in `oauth_used_assertions` until the assertion expires, so a
  replay is refused on every worker and host.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timedelta, timezone

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete

from app.auth.oauth.clients import PRIVATE_KEY_JWT
from app.auth.oauth.models import UsedAssertion
from app.db import insert_or_ignore, utcnow
from app.extensions import db

MAX_KEYS = 20
MAX_LIFETIME = timedelta(days=1)  # an assertion expiring later is refused (its jti would be kept as long)
REFETCH_AFTER = 60.0  # seconds: an unknown kid fetches the JWKS again, but not more often than this

_cache: dict[str, tuple[float, float, KeySet]] = {}  # jwks_uri -> (fetched at, expires at, keys)
_lock = threading.Lock()


def fetch_keys(jwks_uri: str) -> KeySet:
    """Fetch and parse a JWKS (public keys only). Raises InvalidClientError."""
    from app.auth.oauth.cimd import MetadataError, fetch_bytes

    try:
        body, ttl = fetch_bytes(jwks_uri)
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
            raise ValueError("no keys")
        if len(data["keys"]) > MAX_KEYS:
            raise ValueError(f"more than {MAX_KEYS} keys")
        keys = KeySet.import_key_set({"keys": [public_only(k) for k in data["keys"]]})
    except MetadataError as exc:
        raise InvalidClientError(description=f"The client's jwks_uri could not be used: {exc}.") from None
    except (ValueError, TypeError, KeyError, JoseError, UnicodeDecodeError) as exc:
        raise InvalidClientError(description=f"The client's jwks_uri is not a usable JWK Set ({exc}).") from None
    now = time.monotonic()
    with _lock:
        _cache[jwks_uri] = (now, now + ttl.total_seconds(), keys)
    return keys


def public_only(jwk: dict) -> dict:
    if not isinstance(jwk, dict):
        raise ValueError("a key is not a JSON object")
    return {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "oth", "k")}


def cached_keys(jwks_uri: str) -> tuple[float, KeySet] | None:
    with _lock:
        entry = _cache.get(jwks_uri)
    if entry is None or entry[1] <= time.monotonic():
        return None
    return entry[0], entry[2]


def find_key(jwks_uri: str, kid: str | None, alg: str | None):
    """The key that should verify an assertion with this `kid` (or the only key when there is none)."""
    cached = cached_keys(jwks_uri)
    keys = cached[1] if cached else fetch_keys(jwks_uri)
    key = pick(keys, kid, alg)
    if key is None and cached and time.monotonic() - cached[0] > REFETCH_AFTER:
        key = pick(fetch_keys(jwks_uri), kid, alg)
    if key is None:
        raise InvalidClientError(description="No key of the client's jwks_uri matches the assertion's kid.")
    return key


def pick(keys: KeySet, kid: str | None, alg: str | None):
    if kid is not None:
        return next((k for k in keys.keys if k.kid == kid), None)
    return keys.keys[0] if len(keys.keys) == 1 else None


def use_jti(client_id: str, jti, expires: datetime) -> bool:
    """Record a `jti` as used until `expires`; False when it was used before (a replay)."""
    if not isinstance(jti, str) or not jti or len(jti) > 512:
        return False
    db.session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < utcnow()))
    key = hashlib.sha256(f"{client_id}\n{jti}".encode()).hexdigest()
    return insert_or_ignore(db.session, UsedAssertion, {"key": key, "expires_at": expires}, ["key"])


class PrivateKeyJWT(JWTBearerClientAssertion):
    """Authlib's RFC 7523 client assertion, named `private_key_jwt` and bound to CIMD keys."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self):
        super().__init__(validate_jti=True, leeway=60)

    def __call__(self, query_client, request):
        client = super().__call__(query_client, request)
        sent = request.form.get("client_id")
        if client is not None and sent and sent != client.client_id:
            raise InvalidClientError(description="client_id is not the subject of the client assertion.")
        return client

    def get_audiences(self):
        base = current_app.config["BASE_URL"]
        return [base + "/oauth/token", base]

    def resolve_client_public_key(self, client):
        if client.token_endpoint_auth_method != PRIVATE_KEY_JWT or not client.jwks_uri:
            raise InvalidClientError(description="This client does not authenticate with private_key_jwt.")
        jwks_uri = client.jwks_uri

        def resolve(token):
            headers = token.headers()
            return find_key(jwks_uri, headers.get("kid"), headers.get("alg"))

        return resolve

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            return super().process_assertion_claims(assertion, resolve_key)
        except InvalidClientError as exc:
            exc.description = exc.description or "The client assertion's signature does not verify."
            raise
        except (ValueError, TypeError) as exc:  # a key that does not fit the algorithm, …
            raise InvalidClientError(description=f"Invalid client assertion ({exc}).") from None

    def validate_jti(self, claims, jti):
        exp = float(claims["exp"])  # required, a number, and not past: checked before this is called
        if exp > time.time() + MAX_LIFETIME.total_seconds():
            raise InvalidClientError(description="The client assertion's exp is more than a day away.")
        expires = datetime.fromtimestamp(exp, timezone.utc) + timedelta(seconds=self.leeway)
        return use_jti(claims["sub"], jti, expires)
