"""Collaboration keys: list, create, change rights, (de)activate, regenerate, delete."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from app.plugin import current_actor
from app.plugin import cursors
from app.plugin import Conflict, NotFound
from app.plugin import db
from app.plugin import keys as key_service
from app.plugin import sharing
from app.plugin import EndpointKey
from app.plugin import ValidationFailed
from plugins.collaborators import invitations
from app.plugin import schemas as s

OWNER_RIGHTS = dict.fromkeys(key_service.RIGHTS, True)


class EndpointArgs(Schema):
    endpoint = s.endpoint_ref()


class KeyArgs(EndpointArgs):
    key = fields.String(required=True, validate=validate.Length(min=1, max=100),
                        metadata={"description": "The collaboration key's id (key_…) or name."})


class CreateArgs(EndpointArgs):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    permissions = fields.Nested(s.Permissions, required=True)


class PermissionArgs(KeyArgs):
    permissions = fields.Nested(s.Permissions, required=True)


class KeyView(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String()
    permissions = fields.Nested(s.Permissions)
    active = fields.Boolean()
    sandbox_prefix = fields.String()
    production_prefix = fields.String()
    created_at = fields.DateTime()


class Plaintext(Schema):
    sandbox = fields.String(required=True)
    production = fields.String(required=True)


class NewKey(KeyView):
    keys = fields.Nested(Plaintext, required=True, metadata={"description": "The key pair, shown this once."})


class KeyList(Schema):
    keys = fields.List(fields.Nested(KeyView), required=True)
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page."})


class ListKeysArgs(EndpointArgs, s.Page):
    pass


def page_after(rows: list, limit: int) -> tuple[list, str | None]:
    """The first `limit` rows and the cursor (the last row's id) when more follow."""
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


class Deleted(Schema):
    deleted = fields.String(required=True)


def view(key: EndpointKey) -> dict:
    return {"id": key.id, "name": key.name, "description": key.description, "permissions": key.permissions,
            "active": key.active, "sandbox_prefix": key.test_prefix, "production_prefix": key.live_prefix,
            "created_at": key.created_at}


def _endpoint(ref):
    return sharing.find_owned_explained(current_actor().account_id, ref)


def _key(endpoint, ref: str, *, hint: bool = False) -> EndpointKey:
    key = db.session.scalar(select(EndpointKey).where(
        EndpointKey.endpoint_id == endpoint.id, EndpointKey.is_owner.is_(False),
        or_(EndpointKey.id == ref, EndpointKey.name == ref)))
    if key is None:
        message = "No collaboration key with this id or name on this endpoint."
        if hint:  # say how to go on: make the key in the same call, or first
            message += (" Leave key out and pass permissions ({create, read, update, delete}) to make one with "
                        "this invitation, or make one with collaborators_create_key; "
                        "collaborators_list_keys lists the existing keys.")
        raise NotFound(message, code="key_not_found")
    return key


def list_keys(endpoint: str, limit: int = 20, cursor: str | None = None) -> dict:
    """List an endpoint's collaboration keys by name: rights (create/read/update/delete), active,
    prefixes; e.g. to pick one for collaborators_invite. Pages with cursor (next_cursor)."""
    ep = _endpoint(endpoint)
    query = select(EndpointKey).where(EndpointKey.endpoint_id == ep.id, EndpointKey.is_owner.is_(False))
    if cursor:
        after = db.session.scalar(query.where(EndpointKey.id == cursor))
        if after is None:
            raise cursors.invalid()
        query = query.where(EndpointKey.name > after.name)
    rows, next_cursor = page_after(list(db.session.scalars(query.order_by(EndpointKey.name).limit(limit + 1))), limit)
    return {"keys": [view(k) for k in rows], "next_cursor": next_cursor}


def create_key(endpoint: str, name: str, description: str, permissions: dict) -> dict:
    """Create a collaboration key pair for an endpoint with the given CRUD rights
    (create = POST, read = GET, update = PUT, delete = DELETE). Returns the sandbox and production
    keys in plaintext, shown this once; invite people to the key with collaborators_invite."""
    ep = _endpoint(endpoint)
    key_service.ensure_within(permissions, OWNER_RIGHTS)
    if name == "owner" or db.session.scalar(select(EndpointKey.id).where(EndpointKey.endpoint_id == ep.id,
                                                                       EndpointKey.name == name)):
        raise Conflict(f"This endpoint already has a key named {name!r}.", code="name_taken")
    key, plaintext = key_service.create_pair(ep.id, name=name, description=description, permissions=permissions,
                                             created_by=current_actor().account_id)
    db.session.flush()
    return {**view(key), "keys": plaintext}


def update_permissions(endpoint: str, key: str, permissions: dict) -> dict:
    """Change a collaboration key's CRUD rights (create = POST, read = GET, update = PUT,
    delete = DELETE); they take effect on the key's next call and never exceed yours. Returns the key."""
    row = _key(_endpoint(endpoint), key)
    key_service.ensure_within(permissions, OWNER_RIGHTS)
    key_service.set_permissions(row, permissions)
    return view(row)


def activate_key(endpoint: str, key: str) -> dict:
    """Reactivate a deactivated collaboration key."""
    row = _key(_endpoint(endpoint), key)
    row.active = True
    return view(row)


def deactivate_key(endpoint: str, key: str) -> dict:
    """Deactivate a collaboration key: its calls are refused (403 key_inactive) until reactivated."""
    row = _key(_endpoint(endpoint), key)
    row.active = False
    return view(row)


def regenerate_key(endpoint: str, key: str) -> dict:
    """Give a collaboration key new values; the old ones stop working at once."""
    row = _key(_endpoint(endpoint), key)
    plaintext = key_service.new_secrets(row)
    return {**view(row), "keys": plaintext}


def delete_key(endpoint: str, key: str) -> dict:
    """Delete a collaboration key for good."""
    row = _key(_endpoint(endpoint), key)
    db.session.delete(row)
    return {"deleted": row.id}


# -- invitations ------------------------------------------------------------------------------


class InviteArgs(EndpointArgs):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                        metadata={"description": "An existing collaboration key's id or name. Leave out and "
                                                 "give permissions to make a new key."})
    permissions = fields.Nested(s.Permissions, load_default=None, allow_none=True,
                                metadata={"description": "Without key: the new key's rights."})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "Without key: the new key's name (default: the email)."})


class ListInvitationsArgs(EndpointArgs, s.Page):
    key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                        metadata={"description": "Only invitations to this key (id or name)."})


class RevokeArgs(EndpointArgs):
    invitation = fields.String(required=True, validate=validate.Length(max=40),
                               metadata={"description": "The invitation's id (inv_…)."})


class InvitationView(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "The collaboration key's name."})
    status = fields.String(required=True, metadata={"description": "pending, accepted, revoked or expired."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)


class Invited(InvitationView):
    new_key = fields.Nested(NewKey, metadata={"description": "Only when the call made the key: the key, its "
                                                             "pair shown this once."})


class InvitationList(Schema):
    invitations = fields.List(fields.Nested(InvitationView), required=True)
    next_cursor = fields.String(allow_none=True, metadata={"description": "Pass as cursor for the next page."})


def invitation_view(inv) -> dict:
    key = db.session.get(EndpointKey, inv.key_id)
    return {"id": inv.id, "email": inv.email, "key": key.name if key else "", "status": inv.state,
            "created_at": inv.created_at, "expires_at": inv.expires_at, "accepted_at": inv.accepted_at}


def invite(endpoint: str, email: str, key: str | None = None, permissions: dict | None = None,
           name: str | None = None) -> dict:
    """Invite someone by email to collaborate on your endpoint through a collaboration key: name an
    existing key, or leave key out and give permissions ({create, read, update, delete}) to make
    the key in this same call (name defaults to the email; rights never exceed yours). They get an
    email link; once they accept (signed in with that address) the endpoint is shared with them.
    Returns the invitation (pending, expires in 7 days) and new_key when the call made one.
    """
    from app.plugin import Account

    ep = _endpoint(endpoint)
    if (key is None) == (permissions is None):
        raise ValidationFailed("Give key (an existing collaboration key) or permissions (to make a new key).",
                               details={"key": ["give key or permissions, not both or neither"]})
    made = None
    if key is not None:
        row = _key(ep, key, hint=True)
    else:
        made = create_key(endpoint, (name or email)[:100], "", permissions)
        row = db.session.get(EndpointKey, made["id"])
    inviter = db.session.get(Account, current_actor().account_id)
    answer = invitation_view(invitations.invite(ep, row, email, inviter))
    return {**answer, "new_key": made} if made else answer


def list_invitations(endpoint: str, key: str | None = None, limit: int = 20, cursor: str | None = None) -> dict:
    """List an endpoint's invitations, newest first (optionally for one key), with their status:
    pending, accepted, revoked or expired. Pages with cursor (next_cursor)."""
    ep = _endpoint(endpoint)
    row = _key(ep, key) if key else None
    try:
        found = invitations.for_endpoint(ep, row, limit=limit + 1, after=cursor)
    except LookupError:
        raise cursors.invalid() from None
    rows, next_cursor = page_after(found, limit)
    return {"invitations": [invitation_view(i) for i in rows], "next_cursor": next_cursor}


def revoke_invitation(endpoint: str, invitation: str) -> dict:
    """Revoke an invitation; an accepted one stops sharing the endpoint with that person."""
    return invitation_view(invitations.revoke(invitations.get(_endpoint(endpoint), invitation)))
