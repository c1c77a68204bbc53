"""Retention (SPEC §6): sandbox call logs and sandbox records older than 30 days are deleted, and
endpoints past their plan's `endpoint_lifetime_days` are deleted with everything in them.

Production records are the user's data: never touched here. Production call logs are not
deleted here either: `archive_logs` moves them into the archives. The daily usage counters
stay, so stats still count purged calls.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.plugin import Account
from app.plugin import utcnow
from app.plugin import db
from app.plugin import SANDBOX, CallLog, Endpoint, Record
from plugins.archives.models import ArchiveFile
from plugins.archives.storage import storage

log = logging.getLogger(__name__)
SANDBOX_DAYS = 30


def expired_endpoints(now: datetime) -> list[str]:
    ids: list[str] = []
    for plan, spec in current_app.config["PLANS"].items():
        days = spec.get("endpoint_lifetime_days")
        if not days:
            continue
        ids += db.session.scalars(select(Endpoint.id).join(Account, Account.id == Endpoint.account_id).where(
            Account.plan == plan, Endpoint.created_at < now - timedelta(days=days)))
    return ids


def purge_expired(now: datetime | None = None) -> dict:
    """Delete what has expired; commits once. Returns how many of each were deleted."""
    now = now or utcnow()
    cutoff = now - timedelta(days=SANDBOX_DAYS)
    logs = db.session.execute(delete(CallLog).where(CallLog.environment == SANDBOX, CallLog.created_at < cutoff))
    records = db.session.execute(delete(Record).where(Record.environment == SANDBOX, Record.created_at < cutoff))
    endpoint_ids = expired_endpoints(now)
    files = list(db.session.scalars(select(ArchiveFile).where(ArchiveFile.endpoint_id.in_(endpoint_ids)))) \
        if endpoint_ids else []
    keys = [f.key(fmt) for f in files for fmt in ("jsonl", "csv")]
    if endpoint_ids:  # keys, records, logs and archive rows go with them (ON DELETE CASCADE)
        db.session.execute(delete(Endpoint).where(Endpoint.id.in_(endpoint_ids)))
    db.session.commit()
    # Files after the commit: at worst an orphan file, never an archive row without its file.
    store = storage()
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.exception("could not delete archive file %s", key)
    return {"sandbox_logs": logs.rowcount or 0, "sandbox_records": records.rowcount or 0,
            "endpoints": len(endpoint_ids), "archive_files": len(files)}
