"""The logs actions: look a call up, search the calls, read an archived call.

Every query is filtered by `app.gateway.visibility.visible_logs`: an owner sees the calls
of their endpoints, a collaborator only the calls made with their own key.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from app.plugin import current_actor, find_archived_logs
from app.plugin import cursors
from app.plugin import parse_moment
from app.plugin import NotFound, ValidationFailed
from app.plugin import db
from app.plugin import endpoints as ep_service
from app.plugin import ENVIRONMENTS, CallLog, EndpointKey
from app.plugin import endpoint_for_logs, visible_logs
from app.plugin import newest_first, newest_matching
from app.plugin import schemas as s
from app.plugin import LogRow, as_rows
from app.plugin import Moment

LOOKUP_MAX = 50
ID = validate.Length(min=1, max=40)


class LogNotFound(NotFound):
    code, message = "log_not_found", "No call log with this id in your account."


class LookupArgs(Schema):
    log_id = fields.String(load_default=None, allow_none=True, validate=ID,
                           metadata={"description": "One call log (log_…)."})
    record_id = fields.String(load_default=None, allow_none=True, validate=ID,
                              metadata={"description": "A record (rec_…): every call that touched it."})


class SearchArgs(s.Page):
    query = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                          metadata={"description": "Words that must all appear (payload, method, record id, "
                                                   "error code)."})
    endpoint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "Only this endpoint (id, slug or name)."})
    environment = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ENVIRONMENTS),
                                metadata={"description": "sandbox or production; both when left out."})
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["success", "failed"]))
    key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                        metadata={"description": "Only calls made with this key: a collaboration key's id "
                                                 "or name, or 'owner'."})
    start = Moment(data_key="from", load_default=None, allow_none=True,
                   metadata={"description": "ISO 8601; calls at or after this time.", "format": "date-time"})
    end = Moment(data_key="to", load_default=None, allow_none=True, end=True,
                 metadata={"description": "ISO 8601; calls at or before this time (a date alone: to the end "
                                          "of that UTC day).", "format": "date-time"})
    date_basis = fields.String(load_default="created", validate=validate.OneOf(["created", "processed"]),
                               metadata={"description": "Which time from/to apply to: created (default, "
                                                        "when the call arrived) or processed."})


class ArchivedArgs(Schema):
    endpoint = s.endpoint_ref()
    log_id = fields.String(load_default=None, allow_none=True, validate=ID)
    record_id = fields.String(load_default=None, allow_none=True, validate=ID)


class LogList(Schema):
    logs = fields.List(fields.Nested(LogRow), required=True)
    has_more = fields.Boolean(required=True)


class LogPage(LogList):
    next_cursor = fields.String(allow_none=True, required=True)


def encode_cursor(seq: int) -> str:
    return cursors.encode("l", seq)


def decode_cursor(cursor: str | None) -> int | None:
    return cursors.decode("l", cursor)


def one_of(log_id, record_id) -> None:
    if bool(log_id) == bool(record_id):
        raise ValidationFailed("Give either log_id or record_id.",
                               details={"log_id": ["give log_id or record_id, not both or neither"]})


def lookup(log_id: str | None, record_id: str | None) -> dict:
    """Look up call logs: one call by log_id, or every call that touched a record by record_id (newest
    first, at most 50), e.g. when the user names a log or record id. Each log shows the call, its
    outcome and error, payload and webhook delivery. Production calls older than 30 days are
    archived: use logs_fetch_archived for those."""
    one_of(log_id, record_id)
    query = select(CallLog).where(visible_logs(current_actor().account_id))
    query = query.where(CallLog.id == log_id) if log_id else query.where(CallLog.record_id == record_id)
    logs = list(db.session.scalars(query.order_by(CallLog.seq.desc()).limit(LOOKUP_MAX + 1)))
    if not logs:
        raise LogNotFound("No call log with this id in your account (older production calls are in the "
                          "archives: logs_fetch_archived)." if log_id else
                          "No call log for this record in your account.")
    return {"logs": as_rows(logs[:LOOKUP_MAX]), "has_more": len(logs) > LOOKUP_MAX}


def search(query: str | None, endpoint: str | None, environment: str | None, status: str | None,
           key: str | None, start: datetime | None, end: datetime | None, date_basis: str, limit: int,
           cursor: str | None) -> dict:
    """Search your call logs, newest first: words (query) in payloads, methods, record ids and error
    codes; filters for endpoint, environment, status (success/failed), key (id, name or 'owner') and
    from/to (ISO 8601; a date alone is that whole UTC day) on the created or processed time. For
    "the 5 failed calls from yesterday": status=failed, from=to=that date, limit=5. Each log names its
    endpoint and, when failed, the error's code, message and details (which fields failed)."""
    account_id = current_actor().account_id
    stmt = select(CallLog).where(visible_logs(account_id))
    ep = endpoint_for_logs(account_id, endpoint) if endpoint else None
    if ep is not None:
        stmt = stmt.where(CallLog.endpoint_id == ep.id)
    if environment:
        stmt = stmt.where(CallLog.environment == environment)
    if status:
        stmt = stmt.where(CallLog.outcome == status)
    if key:
        keys = select(EndpointKey.id).where((EndpointKey.id == key) | (EndpointKey.name == key))
        stmt = stmt.where(CallLog.key_id.in_(keys if ep is None else keys.where(EndpointKey.endpoint_id == ep.id)))
    column = CallLog.created_at if date_basis == "created" else CallLog.processed_at
    if start and end and start > end:
        raise ValidationFailed("'from' must be before 'to'.", details={"from": ["after 'to'"]})
    if start:
        stmt = stmt.where(column >= start)
    if end:
        stmt = stmt.where(column <= end)
    after = decode_cursor(cursor)
    if query and query.strip():
        stmt = newest_matching(stmt, CallLog, query, before=after)
    else:
        stmt = newest_first(stmt, CallLog, after)
    logs = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(logs) > limit
    logs = logs[:limit]
    return {"logs": as_rows(logs), "has_more": more, "next_cursor": encode_cursor(logs[-1].seq) if more else None}


def fetch_archived(endpoint: str, log_id: str | None, record_id: str | None) -> dict:
    """Read archived calls of one of your endpoints: production call logs older than 30 days live in
    daily archive files, not in logs_search. Give log_id for one call, or record_id for every archived
    call that touched that record (newest first, at most 50). Returns the logs with their payloads."""
    ep = ep_service.find_owned(current_actor().account_id, endpoint)
    one_of(log_id, record_id)
    rows = find_archived_logs(ep, log_id=log_id, record_id=record_id, limit=LOOKUP_MAX + 1)  # archives' hook
    if not rows:
        raise LogNotFound("No archived call with this " + ("log id" if log_id else "record id")
                          + " in this endpoint's archives.")
    return {"logs": rows[:LOOKUP_MAX], "has_more": len(rows) > LOOKUP_MAX}


class ResendArgs(Schema):
    log_id = fields.String(required=True, validate=ID, metadata={"description": "The call log (log_…)."})


def resend_webhook(log_id: str) -> dict:
    """Send a failed webhook delivery again (same payload and webhook-id,
    so receivers can tell a repeat). Only for your own endpoints' calls whose delivery failed. Returns the call log, its
    webhook back to pending; logs_lookup shows the new outcome once the worker has tried."""
    from app.plugin import resend_webhook as resend

    log = resend(current_actor().account_id, log_id)
    return {"logs": as_rows([log]), "has_more": False}
