"""OAuth clients: lookup (registered or CIMD), dynamic registration, pruning, redirect matching.

Two kinds of client reach the authorization server. Dynamically registered ones
(RFC 7591) get a random `client_id` (and a secret when they ask for one); those that
never obtain a token are pruned after a day, because hosts re-register freely.
Client ID Metadata Document clients use an HTTPS URL as their `client_id`; their
document is fetched and cached by `cimd`, and the row here is that cache.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from app.auth.actor import READ, WRITE
from app.auth.oauth.models import DCR, OAuthClient
from app.db import utcnow
from app.extensions import db
from app.security import mint

ALL_SCOPES = f"{READ} {WRITE}"
AUTH_CODE, REFRESH, DEVICE = ("authorization_code", "refresh_token",
                              "urn:ietf:params:oauth:grant-type:device_code")
GRANT_TYPES = (AUTH_CODE, REFRESH, DEVICE)
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
PRIVATE_KEY_JWT = "private_key_jwt"  # CIMD clients only (RFC 7523 client assertion, see `assertions`)
TOKEN_AUTH_METHODS = (*AUTH_METHODS, PRIVATE_KEY_JWT)
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "localhost")
UNUSED_REGISTRATION_TTL = timedelta(days=1)


UNSAFE_SCHEMES = ("javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss")


def redirect_uri_allowed(uri: str) -> bool:
    """Whether a client may register this redirect URI (SPEC §5).

    `https` with a host; `http` only on a loopback host (any port at use, RFC 8252 §7.3);
    or a private-use scheme (RFC 8252 §7.1) whose scheme or host has a dot, as in
    `com.example.app:/cb` or `cursor://anysphere.cursor-mcp/oauth/callback`. No fragment.
    """
    if not isinstance(uri, str) or not uri or len(uri) > 512 or any(c.isspace() for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return False
    if parts.fragment or parts.username or parts.password:
        return False
    scheme = parts.scheme.lower()
    if scheme == "https":
        return bool(parts.hostname)
    if scheme == "http":
        return parts.hostname in ("127.0.0.1", "::1", "localhost")
    if not scheme or scheme in UNSAFE_SCHEMES:
        return False
    return "." in scheme or "." in (parts.hostname or "")


def redirect_uri_problem(uris) -> str | None:
    """Why a list of redirect URIs cannot be registered, or None when every one is allowed."""
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        return "redirect_uris must be a list of URLs"
    bad = [u for u in uris if not redirect_uri_allowed(u)]
    if bad:
        return (f"Redirect URI {bad[0][:100]!r} is not allowed: use https, http on a loopback address "
                "(127.0.0.1, [::1], localhost), or a private-use scheme with a dot (com.example.app:/cb).")
    return None


def known_scopes(scope: str | None) -> list[str]:
    """The scopes of a request that minapi knows, in a fixed order; unknown ones are ignored."""
    asked = (scope or "").split()
    return [s for s in (READ, WRITE) if s in asked]


def redirect_uri_matches(registered: str, presented: str) -> bool:
    """Exact string match, except that loopback `http` URIs match on any port (RFC 8252 §7.3)."""
    if registered == presented:
        return True
    a, b = urlsplit(registered), urlsplit(presented)
    if a.scheme != "http" or b.scheme != "http" or a.hostname is None:
        return False
    host_a = a.netloc.rsplit(":", 1)[0] if a.port else a.netloc
    host_b = b.netloc.rsplit(":", 1)[0] if b.port else b.netloc
    return (host_a in LOOPBACK_HOSTS and host_a == host_b and (a.path, a.query) == (b.path, b.query)
            and not b.fragment)


def is_metadata_url(client_id: str) -> bool:
    """Whether a `client_id` is a Client ID Metadata Document URL (HTTPS with a path)."""
    parts = urlsplit(client_id)
    return parts.scheme == "https" and bool(parts.hostname) and parts.path not in ("", "/")


def query(client_id: str | None) -> OAuthClient | None:
    """The client for a `client_id`, fetching (or re-fetching) its metadata document if it is a URL."""
    if not client_id or len(client_id) > 512:
        return None
    if is_metadata_url(client_id):
        from app.auth.oauth import cimd

        return cimd.client_for(client_id)
    return db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id,
                                                       OAuthClient.kind == DCR))


def register(metadata: dict, *, client_id: str, ip: str | None) -> tuple[OAuthClient, str | None]:
    """Save a dynamic registration (metadata already validated); returns (client, secret or None).

    Every client is registered with both scopes so that a step-up from read to write
    needs no new registration; the consent page decides what a token really gets.
    """
    prune_unused()
    method = metadata.get("token_endpoint_auth_method") or "none"
    secret, digest = mint("mcs_", 32) if method != "none" else (None, None)
    grant_types = metadata.get("grant_types") or [AUTH_CODE, REFRESH]
    client = OAuthClient(client_id=client_id, kind=DCR, client_secret_hash=digest,
                         client_name=(metadata.get("client_name") or "")[:200],
                         client_uri=(metadata.get("client_uri") or None),
                         redirect_uris=json.dumps(metadata.get("redirect_uris") or []),
                         grant_types=" ".join(grant_types), token_endpoint_auth_method=method,
                         scope=ALL_SCOPES, registered_from=(ip or "")[:64] or None)
    db.session.add(client)
    db.session.flush()
    return client, secret


def prune_unused() -> int:
    """Delete dynamic registrations that never obtained a token within a day (no job worker needed)."""
    cutoff = utcnow() - UNUSED_REGISTRATION_TTL
    result = db.session.execute(delete(OAuthClient).where(OAuthClient.kind == DCR,
                                                          OAuthClient.first_token_at.is_(None),
                                                          OAuthClient.created_at < cutoff))
    return result.rowcount or 0


def mark_used(client: OAuthClient) -> None:
    if client.first_token_at is None:
        client.first_token_at = utcnow()

