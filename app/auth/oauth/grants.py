"""Authlib grant types, bound to our tables: authorization code (PKCE S256 required; RFC 8707
`resource` optional, then the MCP endpoint), refresh token (rotation with a grace window) and the RFC 8628
device code.

Requested scopes minapi does not know are ignored; the token response's `scope` says what was granted.

The person's consent reaches the code grant as a `Consent` (account and the scopes
they chose), passed to Authlib as the "grant user".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidRequestError, InvalidScopeError, OAuth2Error, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _DeviceCodeGrant
from sqlalchemy import select

from app.accounts.models import Account
from app.auth.oauth import tokens
from app.auth.oauth.clients import AUTH_METHODS, TOKEN_AUTH_METHODS, known_scopes
from app.auth.oauth.models import DeviceCode, OAuthCode
from app.db import utcnow
from app.extensions import db
from app.security import hash_secret

CODE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class Consent:
    """What the person agreed to on the consent page."""

    account_id: str
    scope: str


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the `resource` is not this server's MCP endpoint."""

    error = "invalid_target"


def check_resource(values: list, *, redirect_uri: str | None = None, bound: str | None = None) -> None:
    """RFC 8707 `resource`: optional (the token is then for the MCP endpoint); given, it must be
    that endpoint, or the resource the grant is bound to (a trailing slash tolerated)."""
    expected = (bound or tokens.mcp_resource()).rstrip("/")
    if not values:
        return
    if len(values) > 1 or not isinstance(values[0], str) or values[0].rstrip("/") != expected:
        raise InvalidTargetError(f"The 'resource' parameter must be {expected} (or be left out).",
                                 redirect_uri=redirect_uri)


class S256Challenge(CodeChallenge):
    """PKCE with S256 only, and required on every authorization request (OAuth 2.1)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_AUTH_METHODS)

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        check_resource(self.request.payload.datalist.get("resource", []), redirect_uri=redirect_uri)
        return redirect_uri

    def save_authorization_code(self, code, request):
        consent: Consent = request.user
        data = request.payload.data
        db.session.add(OAuthCode(
            code_hash=hash_secret(code), client_pk=request.client.id, account_id=consent.account_id,
            redirect_uri=data.get("redirect_uri") or request.client.get_default_redirect_uri(),
            scope=consent.scope, resource=tokens.mcp_resource(), code_challenge=data["code_challenge"],
            code_challenge_method="S256", expires_at=utcnow() + CODE_TTL))
        db.session.flush()

    def query_authorization_code(self, code, client):
        row = db.session.scalar(select(OAuthCode).where(OAuthCode.code_hash == hash_secret(code),
                                                        OAuthCode.client_pk == client.id))
        if row is None:
            return None
        if row.used_at is not None:  # a replayed code: revoke what the first use obtained
            if row.grant_id:
                tokens.revoke_grant(row.grant_id)
            return None
        return None if row.is_expired() else row

    def validate_token_request(self):
        super().validate_token_request()
        code = self.request.authorization_code
        check_resource(self.request.payload.datalist.get("resource", []), bound=code.resource)

    def delete_authorization_code(self, authorization_code):
        authorization_code.used_at = utcnow()  # kept, so that a replay can be detected

    def authenticate_user(self, authorization_code):
        return db.session.get(Account, authorization_code.account_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(TOKEN_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        return tokens.find_refresh(refresh_token)

    def validate_token_request(self):
        super().validate_token_request()
        row = self.request.refresh_token
        check_resource(self.request.payload.datalist.get("resource", []), bound=row.grant.resource)

    def _validate_token_scope(self, token):
        """A narrower scope may be asked for; unknown scopes in the request are ignored."""
        asked = known_scopes(self.request.payload.scope)
        if asked and not set(asked) <= set(token.get_scope().split()):
            raise InvalidScopeError("A refresh cannot widen the scope the person granted.")

    def issue_token(self, user, refresh_token):
        scope = " ".join(known_scopes(self.request.payload.scope)) or refresh_token.get_scope()
        return self.generate_token(user=user, scope=scope, include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN)

    def authenticate_user(self, refresh_token):
        return db.session.get(Account, refresh_token.grant.account_id)

    def revoke_old_credential(self, refresh_token):
        tokens.rotate(refresh_token)


class DeviceCodeGrant(_DeviceCodeGrant):
    """RFC 8628 §3.4: the device polls the token endpoint with its `device_code`."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def query_device_credential(self, device_code):
        return db.session.scalar(select(DeviceCode).where(DeviceCode.device_code_hash == hash_secret(device_code),
                                                          DeviceCode.flow == "oauth",
                                                          DeviceCode.status != "used"))

    def query_user_grant(self, user_code):
        row = db.session.scalar(select(DeviceCode).where(DeviceCode.user_code == user_code))
        if row is None or row.status == "pending":
            return None
        account = db.session.get(Account, row.account_id) if row.account_id else None
        return (account, row.status == "approved" and account is not None)

    def should_slow_down(self, credential):
        now = utcnow()
        too_fast = (credential.last_polled_at is not None
                    and now - credential.last_polled_at < timedelta(seconds=credential.interval))
        credential.last_polled_at = now
        return too_fast
