"""Who may see an endpoint: its owner, and accounts that accepted an invitation to one of its keys.

A collaborator reaches a shared endpoint only through the key they were invited to: its
rights decide what api_call may do, and they see only the calls made with that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.gateway import endpoints as ep_service
from app.gateway.models import Endpoint, EndpointKey, Invitation


@dataclass
class Access:
    endpoint: Endpoint
    role: str  # owner or shared
    key: EndpointKey  # the key calls are made with: the owner pair, or the invited collaboration pair


def shared_rows(account_id: str):
    """(endpoint, key) pairs shared with the account through accepted invitations."""
    query = (select(Endpoint, EndpointKey).join(Invitation, Invitation.endpoint_id == Endpoint.id)
             .join(EndpointKey, EndpointKey.id == Invitation.key_id)
             .where(Invitation.accepted_by == account_id, Invitation.status == "accepted"))
    return [tuple(row) for row in db.session.execute(query)]


def shared_keys(account_id: str) -> list[tuple[str, str]]:
    """(endpoint_id, key_id) of every key shared with the account (for scoping logs and stats)."""
    return [(ep.id, key.id) for ep, key in shared_rows(account_id)]


def find_visible(account_id: str, ref: str) -> Access:
    """The endpoint named by id, slug or name among those the account owns or has been shared."""
    try:
        endpoint = ep_service.find_owned(account_id, ref)
        return Access(endpoint, "owner", ep_service.owner_key(endpoint))
    except ep_service.EndpointNotFound:
        pass
    ref = (ref or "").strip()
    for endpoint, key in shared_rows(account_id):
        if ref in (endpoint.id, endpoint.slug, endpoint.name):
            return Access(endpoint, "shared", key)
    raise ep_service.EndpointNotFound()


def find_owned_explained(account_id: str, ref: str) -> Endpoint:
    """Like find_owned, but a collaborator asking for an owner's action is told why not (403)."""
    try:
        return ep_service.find_owned(account_id, ref)
    except ep_service.EndpointNotFound:
        access = find_visible(account_id, ref)  # raises EndpointNotFound when not shared either
        raise Forbidden(f"Only the owner of {access.endpoint.name!r} can do this; it is shared with you "
                        "through a collaboration key.", code="permission_denied") from None


def is_collaborator(account_id: str, key_id: str) -> bool:
    return db.session.scalar(select(Invitation.id).where(
        Invitation.key_id == key_id, Invitation.accepted_by == account_id, Invitation.status == "accepted")) is not None
