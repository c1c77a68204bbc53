"""Tables of the OAuth 2.1 authorization server and the device login.

Nothing secret is stored in the clear: client secrets, authorization codes, access
and refresh tokens, device codes and session tokens are kept as SHA-256 hashes
(`app.security`). A *grant* is one consent of one account to one client: its tokens
form one refresh family, and revoking the grant ends them all.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import TimestampMixin, UTCDateTime, new_id, utcnow
from app.extensions import db

DCR, CIMD = "dcr", "cimd"


class OAuthClient(TimestampMixin, db.Model):
    """A registered (RFC 7591) or metadata-document (CIMD) client; the CIMD row is a cache."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("oc"))
    client_id: Mapped[str] = mapped_column(String(512), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # dcr | cimd
    client_secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    client_uri: Mapped[str | None] = mapped_column(String(512), nullable=True)
    redirect_uris: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON list
    grant_types: Mapped[str] = mapped_column(String(300), nullable=False)  # space-separated
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40), nullable=False, default="none")
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    registered_from: Mapped[str | None] = mapped_column(String(64), nullable=True)  # IP, for DCR
    first_token_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    metadata_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # CIMD cache
    jwks_uri: Mapped[str | None] = mapped_column(String(512), nullable=True)  # CIMD private_key_jwt keys

    @property
    def redirect_uri_list(self) -> list[str]:
        return json.loads(self.redirect_uris or "[]")

    @property
    def display_host(self) -> str | None:
        """For a CIMD client, the host of its URL: what the consent page shows as its identity."""
        from urllib.parse import urlsplit

        return urlsplit(self.client_id).hostname if self.kind == CIMD else None

    # Authlib's ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uri_list
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client may have; unknown ones are ignored, and asking for
        none that minapi knows (or for nothing) means everything the client may have."""
        allowed = self.scope.split()
        asked = [s for s in (scope or "").split() if s in allowed]
        return " ".join(asked or allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        from app.auth.oauth.clients import redirect_uri_matches

        return any(redirect_uri_matches(r, redirect_uri) for r in self.redirect_uri_list)

    def check_client_secret(self, client_secret: str) -> bool:
        from app.security import hash_secret, same

        return bool(self.client_secret_hash) and same(self.client_secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types.split()


class UsedAssertion(db.Model):
    """The `jti` of a client assertion (RFC 7523) already used, kept until the assertion expires.

    In the database, so that a replay is refused whichever worker or host it reaches.
    """

    __tablename__ = "oauth_used_assertions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of client_id and jti
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)


class OAuthGrant(TimestampMixin, db.Model):
    """One account's consent to one client: its scopes, the resource, and when it was last used."""

    __tablename__ = "oauth_grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("og"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    client_pk: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    resource: Mapped[str] = mapped_column(String(512), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    client: Mapped[OAuthClient] = relationship(lazy="joined")


class OAuthCode(TimestampMixin, db.Model):
    """An authorization code: single use, short-lived, bound to PKCE, redirect URI and resource."""

    __tablename__ = "oauth_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ocd"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    client_pk: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(512), nullable=False)
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    resource: Mapped[str] = mapped_column(String(512), nullable=False)
    code_challenge: Mapped[str] = mapped_column(String(128), nullable=False)
    code_challenge_method: Mapped[str] = mapped_column(String(10), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The grant its exchange created: a second use of the code revokes it (RFC 6749 §4.1.2).
    grant_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    # Authlib's AuthorizationCodeMixin
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class OAuthToken(TimestampMixin, db.Model):
    """An access token and its refresh token (hashes), with the audience it was issued for."""

    __tablename__ = "oauth_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("otk"))
    grant_id: Mapped[str] = mapped_column(ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    audience: Mapped[str] = mapped_column(String(512), nullable=False)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # refresh used
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # RFC 7009

    grant: Mapped[OAuthGrant] = relationship(lazy="joined")

    # Authlib's TokenMixin
    def check_client(self, client) -> bool:
        return self.grant.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.access_expires_at - utcnow()).total_seconds()))

    def is_expired(self) -> bool:
        return self.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.access_revoked_at is not None


class DeviceCode(TimestampMixin, db.Model):
    """A device login (RFC 8628 and the seed's `/v1/auth/device-code`) waiting for a person.

    `account_id` has no foreign key on purpose: a session token whose account was deleted
    must be told apart (`user_not_found`) from one that never existed (`invalid_token`).
    """

    __tablename__ = "device_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("dc"))
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    flow: Mapped[str] = mapped_column(String(10), nullable=False)  # "oauth" (RFC 8628) | "session" (seed)
    client_id: Mapped[str] = mapped_column(String(512), nullable=False)
    scope: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    account_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    session_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    session_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    interval: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    # Authlib's DeviceCredentialMixin
    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_user_code(self) -> str:
        return self.user_code

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()
