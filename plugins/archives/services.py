"""Archiving: production call logs older than 30 days move into one file set per endpoint and UTC day.

`archive_logs` is a batch job (the worker runs it daily, `minapi archive run` once). For each
endpoint-day it locks that day's `archives_files` row, merges the day's logs into the files
already there (deduplicated by log id, so a re-run or a crash half-way loses and doubles
nothing), writes `.jsonl.gz` and `.csv`, and only then deletes the logs from the hot table and
commits. If writing fails, the transaction rolls back and the logs stay where they were.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import delete, func, select

from app.plugin import utcnow
from app.plugin import db
from app.plugin import PRODUCTION, CallLog, Endpoint
from plugins.archives.models import ArchiveFile
from plugins.archives.storage import storage
from app.plugin import COLUMNS, as_rows

log = logging.getLogger(__name__)
HOT_DAYS = 30
DELETE_CHUNK = 500


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def archive_cutoff(now: datetime) -> datetime:
    """Whole UTC days whose every call is more than 30 days old are archived."""
    return day_start((now - timedelta(days=HOT_DAYS)).date())


def archive_logs(now: datetime | None = None) -> dict:
    """Archive every due endpoint-day; commits after each. Returns counts and the days that failed."""
    cutoff = archive_cutoff(now or utcnow())
    summary = {"files": 0, "logs": 0, "failed": []}
    for endpoint_id, day in due_days(cutoff):
        try:
            moved = archive_day(endpoint_id, day, cutoff)
            if moved:
                db.session.commit()
            else:  # nothing was due after all: drop the placeholder row
                db.session.rollback()
        except Exception as exc:  # one bad day must not stop the others; its logs stay in the table
            db.session.rollback()
            log.exception("archiving %s %s failed", endpoint_id, day)
            summary["failed"].append({"endpoint_id": endpoint_id, "date": day.isoformat(), "error": str(exc)[:300]})
            continue
        summary["files"] += bool(moved)
        summary["logs"] += moved
    return summary


def due_days(cutoff: datetime) -> list[tuple[str, date]]:
    day = func.date(CallLog.created_at)  # the column holds naive UTC: this is the UTC day on both engines
    rows = db.session.execute(select(CallLog.endpoint_id, day).where(
        CallLog.environment == PRODUCTION, CallLog.created_at < cutoff).distinct()).all()
    found = {(ep, d if isinstance(d, date) else date.fromisoformat(str(d)[:10])) for ep, d in rows}
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


def archive_day(endpoint_id: str, day: date, cutoff: datetime) -> int:
    """Merge one endpoint-day into its files and delete those logs (no commit). Returns logs moved."""
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        return 0
    row = lock_file_row(endpoint, day)
    start, end = day_start(day), min(day_start(day) + timedelta(days=1), cutoff)
    logs = list(db.session.scalars(select(CallLog).where(
        CallLog.endpoint_id == endpoint_id, CallLog.environment == PRODUCTION,
        CallLog.created_at >= start, CallLog.created_at < end).order_by(CallLog.seq)))
    if not logs:
        return 0
    store = storage()
    rows = merge(read_rows(store.get(row.key("jsonl"))), as_rows(logs))
    jsonl, table = to_jsonl_gz(rows), to_csv(rows)
    store.put(row.key("jsonl"), jsonl)
    store.put(row.key("csv"), table)
    row.rows, row.jsonl_bytes, row.csv_bytes, row.updated_at = len(rows), len(jsonl), len(table), utcnow()
    seqs = [entry.seq for entry in logs]
    for i in range(0, len(seqs), DELETE_CHUNK):
        db.session.execute(delete(CallLog).where(CallLog.seq.in_(seqs[i:i + DELETE_CHUNK])))
    return len(logs)


def lock_file_row(endpoint: Endpoint, day: date) -> ArchiveFile:
    """The endpoint-day's row, made if missing and locked for this transaction, so two workers
    archiving the same day take turns (PostgreSQL row lock; SQLite's single writer)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    db.session.execute(insert(ArchiveFile).values(
        account_id=endpoint.account_id, endpoint_id=endpoint.id, day=day, rows=0, jsonl_bytes=0, csv_bytes=0,
        created_at=now, updated_at=now).on_conflict_do_nothing(index_elements=["endpoint_id", "day"]))
    return db.session.scalar(select(ArchiveFile).where(ArchiveFile.endpoint_id == endpoint.id,
                                                       ArchiveFile.day == day)
                             .with_for_update().execution_options(populate_existing=True))


def merge(existing: list[dict], new: list[dict]) -> list[dict]:
    by_id = {r["id"]: r for r in existing}
    by_id.update({r["id"]: r for r in new})
    return sorted(by_id.values(), key=lambda r: (r["created_at"], r["id"]))


def read_rows(data: bytes | None) -> list[dict]:
    if not data:
        return []
    return [json.loads(line) for line in gzip.decompress(data).decode().splitlines() if line.strip()]


def to_jsonl_gz(rows: list[dict]) -> bytes:
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
    return gzip.compress(text.encode(), mtime=0)


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
                         if isinstance(v, (dict, list)) else v for k, v in r.items()})
    return out.getvalue().encode()


def find_archived(endpoint: Endpoint, *, log_id: str | None, record_id: str | None, limit: int) -> list[dict]:
    """Archived rows of `endpoint` for one log id or one record id, newest first (reads the files,
    newest day first; a log id stops at its first hit)."""
    files = db.session.scalars(select(ArchiveFile).where(ArchiveFile.endpoint_id == endpoint.id,
                                                         ArchiveFile.rows > 0).order_by(ArchiveFile.day.desc()))
    store, found = storage(), []
    for f in files:
        rows = read_rows(store.get(f.key("jsonl")))
        hits = [r for r in reversed(rows) if (r["id"] == log_id if log_id else r.get("record_id") == record_id)]
        found += hits
        if (log_id and found) or len(found) >= limit:
            break
    return found[:limit]


def delete_files(row: ArchiveFile) -> None:
    store = storage()
    for fmt in ("jsonl", "csv"):
        store.delete(row.key(fmt))


def delete_account_files(account_id: str) -> int:
    """Delete every archive file of an account (rows and files); the account is being deleted."""
    rows = list(db.session.scalars(select(ArchiveFile).where(ArchiveFile.account_id == account_id)))
    for row in rows:
        db.session.delete(row)
    db.session.flush()  # a database refusal surfaces before any file is gone
    for row in rows:
        delete_files(row)
    return len(rows)
