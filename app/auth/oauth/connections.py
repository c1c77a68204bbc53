"""Connected AI clients: an account's OAuth grants, as listed and revoked on `/settings/ai`."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.oauth import tokens
from app.auth.oauth.models import OAuthGrant
from app.errors import NotFound
from app.extensions import db


def list_for(account_id: str) -> list[OAuthGrant]:
    return list(db.session.scalars(select(OAuthGrant).where(OAuthGrant.account_id == account_id)
                                   .order_by(OAuthGrant.created_at.desc(), OAuthGrant.id)))


def revoke(account_id: str, grant_id: str) -> None:
    """End a grant and every token of it, at once."""
    grant = db.session.scalar(select(OAuthGrant).where(OAuthGrant.id == grant_id,
                                                       OAuthGrant.account_id == account_id))
    if grant is None:
        raise NotFound("No connected client with this id in your account.", code="grant_not_found")
    tokens.revoke_grant(grant.id)
