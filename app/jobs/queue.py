"""Adding jobs, and the retry schedule. The caller's transaction decides: no commit, no job."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask import current_app

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job

BACKOFF_FACTOR = 4
JITTER = 0.25  # each delay is scaled by a random factor in [0.75, 1.25]


def enqueue(kind: str, payload: dict, *, delay: timedelta | None = None, run_at: datetime | None = None,
            max_attempts: int | None = None) -> Job:
    """Add a job of a registered `kind` to the current transaction.

    `max_attempts` defaults to the one its handler was registered with.
    """
    handler = registry().get(kind)
    if handler is None:  # a typo here would otherwise only show up as a dead job, later
        raise LookupError(f"no job handler is registered for {kind!r}")
    job = Job(kind=kind, payload=payload, run_at=run_at or (utcnow() + (delay or timedelta())),
              max_attempts=max_attempts or handler.max_attempts)
    db.session.add(job)
    return job


def registry():
    return current_app.extensions["minapi.jobs"]


def retry_delay(attempt: int, *, base: float, cap: float, rand: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first try).

    Exponential: base, base×4, base×16, … capped at `cap`, then scaled by a jitter factor
    in [0.75, 1.25] so failures that happened together do not retry together. `rand`
    (0…1) picks the factor; random when not given. With the defaults (30 s, 12 h) eight
    tries spread over about a day: 30 s, 2 min, 8 min, 32 min, 2.1 h, 8.5 h, 12 h.
    """
    raw = min(cap, base * BACKOFF_FACTOR ** max(0, attempt - 1))
    factor = 1 - JITTER + 2 * JITTER * (random.random() if rand is None else rand)
    return raw * factor
