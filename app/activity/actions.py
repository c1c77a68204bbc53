"""The `activity` family: `activity_search` / `GET /api/v1/activity`, and the 90-day pruning.

A core family (always on): the trail is a safety control, not an optional feature. Every
query is scoped to the caller's account. A credential whose policy lists some endpoints
must name one of them (the runner checks it), so it never reads the trail of the others.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, fields, validate
from sqlalchemy import delete, select, tuple_

from app import cursors
from app.accounts.models import Account
from app.activity.models import ActivityEntry
from app.activity import record
from app.activity.record import OUTCOMES
from app.auth.actor import current_actor
from app.db import utcnow
from app.errors import ValidationFailed
from app.extensions import db
from app.tools import hookimpl
from app.tools.schemas import Moment

KEEP = timedelta(days=90)


class SearchArgs(Schema):
    actor = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "An email, MCP key label or id, OAuth client name or grant id."})
    action = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                           metadata={"description": "A tool name, e.g. api_call_post."})
    outcome = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(OUTCOMES),
                            metadata={"description": "refused: 401/403 (scope, freeze, policy); failed: other errors."})
    endpoint = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=120),
                             metadata={"description": "Id, slug or name."})
    start = Moment(data_key="from", load_default=None, allow_none=True,
                   metadata={"description": "ISO 8601; at or after.", "format": "date-time"})
    end = Moment(end=True, data_key="to", load_default=None, allow_none=True,
                 metadata={"description": "ISO 8601; at or before (a date: the whole day).", "format": "date-time"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class Entry(Schema):
    time = fields.DateTime(required=True)
    actor_kind = fields.String(required=True, metadata={"description": "person, mcp_key or oauth"})
    actor_id = fields.String(allow_none=True, metadata={"description": "key or grant id"})
    actor = fields.String(required=True)
    surface = fields.String(required=True, metadata={"description": "dashboard, rest or mcp"})
    action = fields.String(required=True)
    outcome = fields.String(required=True)
    error_code = fields.String(allow_none=True)
    endpoint = fields.String(allow_none=True)
    arguments = fields.Dict(required=True, metadata={"description": "no record data or secrets"})


class Page(Schema):
    activity = fields.List(fields.Nested(Entry), required=True)
    has_more = fields.Boolean(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


def row(entry: ActivityEntry) -> dict:
    return {"time": entry.created_at, "actor_kind": entry.actor_kind, "actor_id": entry.actor_id,
            "actor": entry.actor_name, "surface": entry.surface, "action": entry.action, "outcome": entry.outcome,
            "error_code": entry.error_code, "endpoint": entry.endpoint, "arguments": json.loads(entry.arguments)}


def endpoint_names(account_id: str, ref: str) -> list[str]:
    """Every name the caller may have used for the endpoint `ref` (id, slug, name). An endpoint that
    is gone is still found by what its rows say; one never seen is `endpoint_not_found`, as elsewhere."""
    from app.gateway.endpoints import EndpointNotFound
    from app.gateway.sharing import find_visible

    try:
        ep = find_visible(account_id, ref).endpoint
    except EndpointNotFound:
        seen = db.session.scalar(select(ActivityEntry.seq).where(ActivityEntry.account_id == account_id,
                                                                 ActivityEntry.endpoint == ref).limit(1))
        if seen is None:
            raise
        return [ref]
    return list({ref, ep.id, ep.slug, ep.name})


def search(actor: str | None, action: str | None, outcome: str | None, endpoint: str | None,
           start: datetime | None, end: datetime | None, limit: int, cursor: str | None) -> dict:
    """Search your account's activity trail, newest first: each action a person, MCP key or OAuth
    client ran (dashboard, REST or MCP), refusals included. Use it to see what an AI assistant did
    or was stopped from doing. Kept 90 days."""
    account_id = current_actor().account_id
    if start and end and start > end:
        raise ValidationFailed("'from' must be before 'to'.", details={"from": ["after 'to'"]})
    record.flush()  # the reads and refusals this process has not written yet
    stmt = select(ActivityEntry).where(ActivityEntry.account_id == account_id)
    if actor:
        stmt = stmt.where((ActivityEntry.actor_name == actor) | (ActivityEntry.actor_id == actor))
    if action:
        stmt = stmt.where(ActivityEntry.action == action)
    if outcome:
        stmt = stmt.where(ActivityEntry.outcome == outcome)
    if endpoint:
        stmt = stmt.where(ActivityEntry.endpoint.in_(endpoint_names(account_id, endpoint)))
    if start:
        stmt = stmt.where(ActivityEntry.created_at >= start)
    if end:
        stmt = stmt.where(ActivityEntry.created_at <= end)
    after = cursors.decode_pair("t", cursor)
    if after is not None:
        stmt = stmt.where(tuple_(ActivityEntry.created_at, ActivityEntry.seq) < tuple_(moment_of(after[0]), after[1]))
    by_time = (ActivityEntry.created_at.desc(), ActivityEntry.seq.desc())
    entries = list(db.session.scalars(stmt.order_by(*by_time).limit(limit + 1)))
    more = len(entries) > limit
    entries = entries[:limit]
    return {"activity": [row(e) for e in entries], "has_more": more,
            "next_cursor": cursor_after(entries[-1]) if more else None}


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def moment_of(micros: int) -> datetime:
    """The time in a cursor; one past the calendar was never handed out (400, not an overflow)."""
    try:
        return EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise cursors.invalid() from None


def cursor_after(entry: ActivityEntry) -> str:
    """The page after `entry`: by the time of the call, then by row (rows of reads are written a
    moment after the call, so their sequence numbers do not follow the order of the calls)."""
    return cursors.encode_pair("t", (entry.created_at - EPOCH) // timedelta(microseconds=1), entry.seq)


def prune(job) -> None:
    """Delete activity older than 90 days (the worker runs this every hour): account by account,
    each DELETE walking the account's own index (the trail's only one, so a row written costs
    one index entry, not two)."""
    cutoff = utcnow() - KEEP
    for account_id in db.session.scalars(select(Account.id)).all():
        db.session.execute(delete(ActivityEntry).where(ActivityEntry.account_id == account_id,
                                                       ActivityEntry.created_at < cutoff))


@hookimpl
def register_tools(tools):
    fam = tools.family("activity", summary="The activity trail: what each person and AI client did.")
    fam.action(search, kind="read", http="GET /activity", args=SearchArgs, returns=Page,
               title="Search the activity trail")


@hookimpl
def register_jobs(jobs):
    jobs.periodic("activity.prune", prune, every=timedelta(hours=1))


@hookimpl
def register_blueprints(app):
    from app.activity import views

    views.install(app)
