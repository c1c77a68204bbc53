"""Invitations: invite an email to a collaboration key, list, revoke, and accept.

The link's token is mailed and stored only as a hash. Accepting needs an account signed in
with the invited address; the endpoint is then shared with that account through the key.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from app.plugin import Account
from app.plugin import normalize_email
from app.plugin import utcnow
from app.plugin import AppError, Conflict, NotFound
from app.plugin import db
from app.plugin import Endpoint, EndpointKey, Invitation
from app.plugin import hash_secret, mint

LIFETIME = timedelta(days=7)
TOKEN_PREFIX = "inv_tok_"


class InvitationNotFound(NotFound):
    code, message = "invitation_not_found", "No such invitation for this endpoint."


def invite(endpoint: Endpoint, key: EndpointKey, email: str, invited_by: Account) -> Invitation:
    email = normalize_email(email)
    if email == invited_by.email:
        raise AppError("You own this endpoint already; invite someone else.", code="validation_failed",
                       details={"email": ["is your own address"]})
    for existing in db.session.scalars(select(Invitation).where(Invitation.key_id == key.id,
                                                                Invitation.email == email)):
        if existing.state == "pending":
            raise Conflict(f"{email} already has a pending invitation to this key.", code="already_invited")
        if existing.state == "accepted":
            raise Conflict(f"{email} already collaborates through this key.", code="already_collaborator")
    token, digest = mint(TOKEN_PREFIX)
    invitation = Invitation(endpoint_id=endpoint.id, key_id=key.id, email=email, token_hash=digest,
                            invited_by=invited_by.id, expires_at=utcnow() + LIFETIME)
    db.session.add(invitation)
    db.session.flush()
    _mail(invitation, token, endpoint, key, invited_by)
    return invitation


def _mail(invitation, token, endpoint, key, inviter) -> None:
    from app.plugin import send_mail

    link = f"{current_app.config['BASE_URL']}/invitations/{token}"
    rights = ", ".join(r for r, on in key.permissions.items() if on) or "none"
    text = (f"{inviter.display_name} ({inviter.email}) invited you to collaborate on the minapi endpoint "
            f"\"{endpoint.name}\" with the key \"{key.name}\" (rights: {rights}).\n\n"
            f"Accept the invitation here (sign in or sign up with {invitation.email}):\n{link}\n\n"
            f"The link works until {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n")
    send_mail(invitation.email, f"Invitation to {endpoint.name} on minapi", text)


def for_endpoint(endpoint: Endpoint, key: EndpointKey | None = None, *, limit: int,
                 after: str | None = None) -> list[Invitation]:
    """Newest first; `after` is the id of the last invitation of the previous page (LookupError if unknown)."""
    query = select(Invitation).where(Invitation.endpoint_id == endpoint.id)
    if key is not None:
        query = query.where(Invitation.key_id == key.id)
    if after:
        last = db.session.scalar(query.where(Invitation.id == after))
        if last is None:
            raise LookupError(after)
        query = query.where(or_(Invitation.created_at < last.created_at,
                                and_(Invitation.created_at == last.created_at, Invitation.id > last.id)))
    return list(db.session.scalars(query.order_by(Invitation.created_at.desc(), Invitation.id).limit(limit)))


def get(endpoint: Endpoint, invitation_id: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.id == invitation_id,
                                                            Invitation.endpoint_id == endpoint.id))
    if invitation is None:
        raise InvitationNotFound()
    return invitation


def revoke(invitation: Invitation) -> Invitation:
    """Withdraw an invitation; if it was accepted, the endpoint is no longer shared with that account."""
    invitation.status = "revoked"
    db.session.flush()
    return invitation


def by_token(token: str) -> Invitation | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_secret(token)))


def accept(invitation: Invitation, account: Account) -> Invitation:
    state = invitation.state
    if state != "pending":
        raise AppError(f"This invitation is {state}.", code=f"invitation_{state}", status=409)
    if account.email != invitation.email:
        raise AppError(f"This invitation is for {invitation.email}; sign in with that address.",
                       code="wrong_account", status=403)
    invitation.status, invitation.accepted_by, invitation.accepted_at = "accepted", account.id, utcnow()
    db.session.flush()
    return invitation
