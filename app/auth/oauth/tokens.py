"""Access and refresh tokens: minting, rotation with a grace window, revocation, resolution.

Tokens are random strings with a recognisable prefix (`mat_` access, `mrt_` refresh);
only their hashes are stored, with the audience (the RFC 8707 resource) they were
issued for. A refresh token is single use: using it rotates it. A second use within
`OAUTH_REFRESH_GRACE_SECONDS` (two requests racing) is tolerated; a later one is a
replay, and revokes the whole family (the grant and every token of it).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, select, update

from app.auth.actor import OAUTH, Actor
from app.auth.oauth.models import OAuthGrant, OAuthToken
from app.db import utcnow
from app.extensions import db
from app.gateway.sql import Raw, read_datetime, read_one
from app.safety import prefetch
from app.security import hash_secret, mint

ACCESS_PREFIX, REFRESH_PREFIX = "mat_", "mrt_"
MCP_PATH = "/api/mcp"
LAST_USED_RESOLUTION = timedelta(seconds=60)


def mcp_resource() -> str:
    """The one resource (audience) this server issues tokens for."""
    return current_app.config["BASE_URL"] + MCP_PATH


def generate_access(**_) -> str:
    return mint(ACCESS_PREFIX, 32)[0]


def generate_refresh(**_) -> str:
    return mint(REFRESH_PREFIX, 32)[0]


def access_ttl(client=None, grant_type=None) -> int:
    return current_app.config["OAUTH_ACCESS_TOKEN_TTL"]


def store(token: dict, grant: OAuthGrant) -> OAuthToken:
    """Keep the hashes of a freshly generated token pair for `grant`."""
    now = utcnow()
    refresh = token.get("refresh_token")
    row = OAuthToken(grant_id=grant.id, access_token_hash=hash_secret(token["access_token"]),
                     refresh_token_hash=hash_secret(refresh) if refresh else None,
                     scope=token.get("scope") or grant.scope, audience=grant.resource,
                     access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
                     refresh_expires_at=(now + timedelta(seconds=current_app.config["OAUTH_REFRESH_TOKEN_TTL"])
                                         if refresh else None))
    db.session.add(row)
    db.session.flush()
    return row


def find_refresh(plaintext: str) -> OAuthToken | None:
    """The token row a refresh token may still be used with, applying the grace window.

    A replay after the window revokes the family and returns None.
    """
    if not plaintext or not plaintext.startswith(REFRESH_PREFIX):
        return None
    row = db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_secret(plaintext)))
    now = utcnow()
    if row is None or (row.refresh_expires_at and row.refresh_expires_at <= now):
        return None
    if row.rotated_at is not None:
        grace = timedelta(seconds=current_app.config["OAUTH_REFRESH_GRACE_SECONDS"])
        if now - row.rotated_at > grace:
            revoke_grant(row.grant_id)
            return None
    return row


def rotate(row: OAuthToken) -> None:
    """Mark a refresh token used; its first use starts the grace window."""
    if row.rotated_at is None:
        row.rotated_at = utcnow()


def find_any(plaintext: str) -> OAuthToken | None:
    """The row of an access or refresh token (for RFC 7009 revocation)."""
    digest = hash_secret(plaintext or "")
    return db.session.scalar(select(OAuthToken).where(
        (OAuthToken.access_token_hash == digest) | (OAuthToken.refresh_token_hash == digest)))


def revoke(row: OAuthToken, plaintext: str) -> None:
    """Revoke one token (RFC 7009): an access token alone; a refresh token with its whole family."""
    if row.refresh_token_hash and row.refresh_token_hash == hash_secret(plaintext):
        revoke_grant(row.grant_id)
    else:
        row.access_revoked_at = utcnow()


def revoke_grant(grant_id: str) -> None:
    db.session.execute(delete(OAuthToken).where(OAuthToken.grant_id == grant_id))
    db.session.execute(delete(OAuthGrant).where(OAuthGrant.id == grant_id))


# One statement on the serving thread's own connection (`read_one`): every request of a hosted
# connector makes it, and the ORM would load the token, its grant and the client in turn. The
# account's AI controls and quota headroom come in the same statement (prefetch.py).
_AI_COLUMNS, _AI_JOIN = prefetch.columns("g.account_id", "g.id")
_BY_ACCESS_HASH = Raw(
    "SELECT t.scope, t.audience, t.access_expires_at, t.access_revoked_at, g.id, g.account_id, g.last_used_at, "
    f"c.client_name, c.client_id, {_AI_COLUMNS} FROM oauth_tokens t JOIN oauth_grants g ON g.id = t.grant_id "
    f"JOIN oauth_clients c ON c.id = g.client_pk {_AI_JOIN} WHERE t.access_token_hash = :token_hash")


def resolve(secret: str) -> Actor | None:
    """The Actor for a live access token presented to `/api/mcp` for exactly our MCP resource.

    Anywhere else (the REST API) the audience does not match, so the token is not ours to accept.
    """
    if not secret.startswith(ACCESS_PREFIX) or len(secret) > 200:
        return None
    row = read_one(_BY_ACCESS_HASH, {"token_hash": hash_secret(secret)})
    if row is None:
        return None
    scope, audience, expires_at, revoked_at, grant_id, account_id, last_used_at, client_name, client_id = row[:9]
    now = utcnow()
    if revoked_at is not None or read_datetime(expires_at) <= now:
        return None
    if audience != mcp_resource() or request.path != MCP_PATH:
        return None
    last_used_at = read_datetime(last_used_at)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(update(OAuthGrant).where(OAuthGrant.id == grant_id).values(last_used_at=now))
        db.session.commit()
    return Actor(account_id=account_id, via=OAUTH, scopes=frozenset(scope.split()),
                 credential_id=grant_id, label=client_name or client_id, ai_state=prefetch.AiState.of_row(row))
