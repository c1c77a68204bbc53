"""Adding jobs. The caller's transaction decides: no commit, no job."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job


def enqueue(kind: str, payload: dict, *, delay: timedelta | None = None, run_at: datetime | None = None,
            max_attempts: int = 8) -> Job:
    job = Job(kind=kind, payload=payload, run_at=run_at or (utcnow() + (delay or timedelta())),
              max_attempts=max_attempts)
    db.session.add(job)
    return job
