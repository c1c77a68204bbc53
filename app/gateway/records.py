"""Records: store, fetch, replace, delete, list newest first, and full-text search.

Pages are keyset pages over the insertion sequence, so a page never skips or repeats a
record while others are being added. Cursors are opaque to callers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete as sql_delete
from sqlalchemy import select, update

from app.db import new_id, utcnow
from app import cursors
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.gateway import sql
from app.gateway.models import Record
from app.search import matches

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


def create(endpoint_id: str, environment: str, data: dict, search_text: str, data_json: str | None = None) -> dict:
    now, dialect = utcnow(), sql.dialect()
    stamp = sql.stored_time(now, dialect)
    rec_id = new_id("rec")
    sql.INSERT_RECORD.run({"id": rec_id, "endpoint_id": endpoint_id, "environment": environment,
                           "data": data_json or sql.stored_json(data), "search_text": search_text,
                           "created_at": stamp, "updated_at": stamp})
    return {"id": rec_id, "environment": environment, "created_at": iso(now), "updated_at": iso(now), "data": data}


def get(endpoint_id: str, environment: str, record_id: str) -> Record:
    rec = db.session.scalar(select(Record).where(Record.id == record_id, Record.endpoint_id == endpoint_id,
                                                 Record.environment == environment))
    if rec is None:
        raise RecordNotFound()
    return rec


def replace(rec: Record, data: dict, search_text: str) -> dict:
    now = utcnow()
    db.session.execute(update(Record).where(Record.seq == rec.seq)
                       .values(data=data, search_text=search_text, updated_at=now))
    return {"id": rec.id, "environment": rec.environment, "created_at": iso(rec.created_at),
            "updated_at": iso(now), "data": data}


def remove(rec: Record) -> None:
    db.session.execute(sql_delete(Record).where(Record.seq == rec.seq))


def _page(query, limit: int, cursor: str | None) -> dict:
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Record.seq < after)
    rows = list(db.session.scalars(query.order_by(Record.seq.desc()).limit(limit + 1)))
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
    start = start or end - SEARCH_WINDOW
    if start > end:
        raise ValidationFailed("'from' must be before 'to'.", details={"from": ["after 'to'"]})
    query = select(Record).where(Record.endpoint_id == endpoint_id, Record.environment == environment,
                                 Record.created_at >= start, Record.created_at <= end, matches(Record, q))
    return _page(query, limit, cursor)
