"""Core's own periodic task: keep the jobs table small.

Finished jobs are deleted after a week; dead ones after 30 days (until then a failed
webhook delivery can be re-sent, and its error read).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, or_

from app.db import utcnow
from app.extensions import db
from app.jobs.models import DEAD, DONE, Job
from app.tools import hookimpl

KEEP_DONE = timedelta(days=7)
KEEP_DEAD = timedelta(days=30)


def prune(job) -> None:
    now = utcnow()
    db.session.execute(delete(Job).where(or_(
        and_(Job.status == DONE, Job.finished_at < now - KEEP_DONE),
        and_(Job.status == DEAD, Job.finished_at < now - KEEP_DEAD))))


@hookimpl
def register_jobs(jobs):
    jobs.periodic("jobs.prune", prune, every=timedelta(hours=1))
