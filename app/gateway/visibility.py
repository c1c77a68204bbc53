"""Which call logs an account may see: the one place that decides it.

An owner sees every call made to the endpoints they own. A collaborator sees a shared
endpoint's calls only when they were made with the collaboration key they were invited
to (SPEC §1), never the owner's or other collaborators' calls. Every read of call logs
(`logs_lookup`, `logs_search`) goes through `visible_logs`, which also applies the endpoint
list of the calling AI credential's policy, if any.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.sql import ColumnElement

from app.gateway.models import CallLog, Invitation


def shared_key_ids(account_id: str) -> Select:
    """The collaboration keys through which `account_id` sees a shared endpoint (accepted
    invitations), as a SELECT of key ids. A key id names exactly one (endpoint, key) pair."""
    return select(Invitation.key_id).where(Invitation.accepted_by == account_id, Invitation.status == "accepted")


def visible_logs(account_id: str) -> ColumnElement:
    """A WHERE clause on `CallLog`: the calls of endpoints `account_id` owns, plus the calls made
    with the collaboration keys it was invited to."""
    own = CallLog.account_id == account_id  # call_logs.account_id is the endpoint owner's
    visible = or_(own, CallLog.key_id.in_(shared_key_ids(account_id)))
    from app.safety.controls import allowed_endpoint_ids

    allowed = allowed_endpoint_ids()  # an AI credential's policy may narrow it to some endpoints
    return visible if allowed is None else and_(visible, CallLog.endpoint_id.in_(allowed))


def endpoint_for_logs(account_id: str, ref: str):
    """The endpoint a logs filter names: one the account owns or has been shared (the rows of a
    shared one are still cut down to the caller's key by `visible_logs`)."""
    from app.gateway.sharing import find_visible

    return find_visible(account_id, ref).endpoint
