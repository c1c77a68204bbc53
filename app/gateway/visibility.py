"""Which call logs an account may see: the one place that decides it.

An owner sees every call made to the endpoints they own. A collaborator sees a shared
endpoint's calls only when they were made with the collaboration key they were invited
to (SPEC §1), never the owner's or other collaborators' calls. Every read of call logs
(`logs_lookup`, `logs_search`) goes through `visible_logs`.
"""

from __future__ import annotations

from sqlalchemy import Select, or_
from sqlalchemy.sql import ColumnElement

from app.gateway.models import CallLog


def shared_key_ids(account_id: str) -> Select | None:
    """The collaboration keys through which `account_id` sees a shared endpoint, as a SELECT of
    `endpoint_keys.id`, or None when there are none.

    Shared endpoints arrive with the invitations work: once an invitation is accepted, return
    here e.g. ``select(Invitation.key_id).where(Invitation.accepted_by == account_id,
    Invitation.status == "accepted")``. A key id names exactly one (endpoint, key) pair, so
    the key id alone is the pair.
    """
    return None


def visible_logs(account_id: str) -> ColumnElement:
    """A WHERE clause on `CallLog`: the calls of endpoints `account_id` owns, plus the calls made
    with the collaboration keys it was invited to."""
    own = CallLog.account_id == account_id  # call_logs.account_id is the endpoint owner's
    shared = shared_key_ids(account_id)
    if shared is None:
        return own
    return or_(own, CallLog.key_id.in_(shared))


def endpoint_for_logs(account_id: str, ref: str):
    """The endpoint a logs filter names: one the account owns (shared endpoints join here with the
    invitations work; their rows are still cut down to the caller's key by `visible_logs`)."""
    from app.gateway.endpoints import find_owned

    return find_owned(account_id, ref)
