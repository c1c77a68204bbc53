"""Records: store, fetch, replace, delete, list newest first, and full-text search.

A create, replace or delete is added to the call's `sql.Writes` and written with the call's
log and counters; reads run at once.

Pages are keyset pages over the insertion sequence, so a page never skips or repeats a
record while others are being added. Cursors are opaque to callers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.db import new_id, utcnow
from app import cursors
from app.errors import NotFound, ValidationFailed
from app.formats import before
from app.extensions import db
from app.gateway import sql
from app.gateway.models import Record
from app.search import newest_first, newest_matching

MAX_LIMIT, DEFAULT_LIMIT = 30, 10
SEARCH_WINDOW = timedelta(days=30)


class RecordNotFound(NotFound):
    code, message = "record_not_found", "No record with this id in this endpoint and environment."


def encode_cursor(seq: int) -> str:
    return cursors.encode("r", seq)


def decode_cursor(cursor: str | None) -> int | None:
    return cursors.decode("r", cursor)


def view(rec) -> dict:
    return {"id": rec.id, "environment": rec.environment, "created_at": iso(rec.created_at),
            "updated_at": iso(rec.updated_at), "data": rec.data}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create(writes: sql.Writes, data: dict, data_json: str, text: str, now: datetime, environment: str) -> dict:
    """Add the record's insert to `writes`; returns the answer for the caller."""
    rec_id = new_id("rec")
    writes.add(sql.INSERT_RECORD, record_id=rec_id, record_data=data_json, record_text=text)
    return {"id": rec_id, "environment": environment, "created_at": iso(now), "updated_at": iso(now), "data": data}


def get(conn: sql.Conn, endpoint_id: str, environment: str, record_id: str):
    rec = sql.find_record(conn, endpoint_id, environment, record_id)
    if rec is None:
        raise RecordNotFound()
    return rec


def replace(writes: sql.Writes, rec, data: dict, data_json: str, text: str, now: datetime) -> dict:
    writes.add(sql.REPLACE_RECORD, record_seq=rec.seq, record_data=data_json, record_text=text)
    return {"id": rec.id, "environment": rec.environment, "created_at": iso(rec.created_at),
            "updated_at": iso(now), "data": data}


def remove(writes: sql.Writes, rec) -> None:
    writes.add(sql.DELETE_RECORD, record_seq=rec.seq)


def _page(query, limit: int, cursor: str | None, q: str | None = None) -> dict:
    after = decode_cursor(cursor)
    query = newest_matching(query, Record, q, before=after) if q is not None else newest_first(query, Record, after)
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [view(r) for r in rows], "next_cursor": encode_cursor(rows[-1].seq) if more else None,
            "has_more": more}


def page(endpoint_id: str, environment: str, *, limit: int, cursor: str | None) -> dict:
    query = select(Record).where(Record.endpoint_id == endpoint_id, Record.environment == environment)
    return _page(query, limit, cursor)


def search(endpoint_id: str, environment: str, q: str, *, start: datetime | None, end: datetime | None,
           limit: int, cursor: str | None) -> dict:
    end = end or utcnow()
    start = start or before(end, SEARCH_WINDOW)
    if start > end:
        raise ValidationFailed("'from' must be before 'to'.", details={"from": ["after 'to'"]})
    query = select(Record).where(Record.endpoint_id == endpoint_id, Record.environment == environment,
                                 Record.created_at >= start, Record.created_at <= end)
    return _page(query, limit, cursor, q)
