"""The worker loop behind `minapi worker`: claim a due job, run it, record the outcome.

- Claiming is one short transaction: pick the oldest due job (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL, so several workers never pick the same row) and mark it running with a
  compare-and-set, which also keeps several workers on SQLite from taking one job twice.
  The attempt is counted at claim time, so a job that kills its worker still runs out of tries.
- A running job whose lock is older than `JOB_VISIBILITY_TIMEOUT` belonged to a worker that
  died; it is due again. Stopping a worker mid-job therefore loses nothing (the job runs at
  least once more); SIGTERM lets the current job finish first.
- The handler runs in its own transaction, committed together with "done". On an error the
  handler's writes are rolled back; the failure (and the handler's `on_failure`) is recorded
  in a second transaction and the job retried after `retry_delay`, or marked dead.
- Periodic tasks are scheduled here: each has a `job_schedules` row; the worker whose
  conditional UPDATE moves `next_run_at` forward enqueues the run, so any number of workers
  enqueue it once.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from datetime import timedelta

from flask import Flask
from sqlalchemy import and_, delete, func, or_, select, update

from app.db import insert_or_ignore, utcnow
from app.extensions import db
from app.jobs.models import DEAD, DONE, PENDING, RUNNING, Job, JobSchedule, WorkerHeartbeat
from app.jobs.queue import enqueue, retry_delay
from app.jobs.registry import Handler, JobRun, Permanent

log = logging.getLogger(__name__)
SCHEDULE_CHECK = 1.0  # seconds between looks at the periodic schedule
HEARTBEAT_EVERY = 10.0  # seconds between heartbeats (/readyz wants one within a minute)
MAX_ERROR = 2000


class WorkerLost(Exception):
    """The worker running this job's last attempt stopped before it finished."""


class Worker:
    def __init__(self, app: Flask, worker_id: str | None = None):
        self.app = app
        self.id = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.registry = app.extensions["minapi.jobs"]
        cfg = app.config
        self.poll = cfg["WORKER_POLL_INTERVAL"]
        self.visibility = timedelta(seconds=cfg["JOB_VISIBILITY_TIMEOUT"])
        self.backoff = {"base": cfg["JOB_BACKOFF_BASE"], "cap": cfg["JOB_BACKOFF_MAX"]}
        self.stopping = threading.Event()

    # -- the loop ------------------------------------------------------------------------

    def run(self, *, burst: bool = False) -> int:
        """Work until stopped, or with `burst` until no job is due; returns the jobs run."""
        ran, next_schedule, next_beat = 0, 0.0, 0.0
        log.info("worker %s started%s", self.id, " (burst)" if burst else "")
        while not self.stopping.is_set():
            try:
                if time.monotonic() >= next_schedule:
                    self._in_context(self.schedule_periodic)
                    next_schedule = time.monotonic() + SCHEDULE_CHECK
                outcome = self._in_context(self.run_one)
                if not burst and time.monotonic() >= next_beat:  # after the job: never delays one
                    self._in_context(self.heartbeat)
                    next_beat = time.monotonic() + HEARTBEAT_EVERY
            except Exception:  # the database went away, say: keep the worker alive, try again
                log.exception("worker %s: error outside a job", self.id)
                outcome = None
            if outcome is None:
                if burst:
                    break
                self.stopping.wait(self.poll)
            elif outcome is not False:
                ran += 1
        log.info("worker %s stopped after %d jobs", self.id, ran)
        if not burst:  # a burst is not a standing worker: it never counted for /readyz
            try:
                self._in_context(lambda: self.heartbeat(stopped=True))
            except Exception:  # the database is gone: the row simply ages out
                log.warning("worker %s could not remove its heartbeat", self.id)
        return ran

    def heartbeat(self, stopped: bool = False) -> None:
        """Note that this worker is alive (or, when `stopped`, that it is gone); drop rows of
        workers not seen for a day."""
        now = utcnow()
        mine = WorkerHeartbeat.worker_id == self.id
        if stopped:
            db.session.execute(delete(WorkerHeartbeat).where(mine))
        elif not insert_or_ignore(db.session, WorkerHeartbeat,
                                  {"worker_id": self.id, "started_at": now, "seen_at": now}, ["worker_id"]):
            db.session.execute(update(WorkerHeartbeat).where(mine).values(seen_at=now))
        db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - timedelta(days=1)))
        db.session.commit()

    def stop(self, *_):
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT finish the current job, then stop."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _in_context(self, fn):
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    # -- one job -------------------------------------------------------------------------

    def run_one(self):
        """Claim and run one job: its id, None when nothing is due, False when another worker won it."""
        job = self.claim()
        if job is None or job is False:
            return job
        run = JobRun(job.id, job.kind, dict(job.payload or {}), job.attempts, job.max_attempts)
        handler = self.registry.get(job.kind)
        if handler is None:  # its plugin is not enabled here (any more): retry, it may come back
            self.fail(run, None, LookupError(f"no handler is registered for {job.kind!r}"))
        elif run.attempt > run.max_attempts:
            self.fail(run, handler, WorkerLost("the worker stopped during the last attempt"), dead=True)
        else:
            self.execute(run, handler)
        return job.id

    def claim(self):
        """Lock the oldest due job for this worker: the Job, None if none is due, False if lost."""
        now = utcnow()
        due = or_(and_(Job.status == PENDING, Job.run_at <= now),
                  and_(Job.status == RUNNING, Job.locked_at < now - self.visibility))
        query = select(Job.id, Job.status, Job.attempts).where(due).order_by(Job.run_at, Job.id).limit(1)
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = db.session.execute(query).first()
        if row is None:
            db.session.rollback()
            return None
        taken = db.session.execute(
            update(Job).where(Job.id == row.id, Job.status == row.status, Job.attempts == row.attempts)
            .values(status=RUNNING, attempts=Job.attempts + 1, locked_at=now, locked_by=self.id)
            .execution_options(synchronize_session=False))
        db.session.commit()
        if taken.rowcount != 1:
            return False
        return db.session.get(Job, row.id)

    def execute(self, run: JobRun, handler: Handler) -> None:
        try:
            handler.fn(run)
            self._finish(run, status=DONE, finished_at=utcnow(), last_error=None)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            self.fail(run, handler, exc)

    def fail(self, run: JobRun, handler: Handler | None, exc: BaseException, dead: bool | None = None) -> None:
        """Record a failed attempt: retry later with backoff, or mark the job dead."""
        if dead is None:
            dead = isinstance(exc, Permanent) or run.final
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
        if handler is not None and handler.on_failure is not None:
            try:
                handler.on_failure(run, exc, dead)
            except Exception:
                log.exception("on_failure of %s job %s failed", run.kind, run.id)
                db.session.rollback()
        now = utcnow()
        if dead:
            self._finish(run, status=DEAD, finished_at=now, last_error=error, locked_at=None)
            log.warning("%s job %s is dead after %d attempts: %s", run.kind, run.id, run.attempt, error)
        else:
            delay = retry_delay(run.attempt, **self.backoff)
            self._finish(run, status=PENDING, run_at=now + timedelta(seconds=delay), last_error=error,
                         locked_at=None, locked_by=None)
            log.info("%s job %s attempt %d failed, retry in %.1f s: %s", run.kind, run.id, run.attempt,
                     delay, error)
        db.session.commit()

    def _finish(self, run: JobRun, **values) -> None:
        # Only while the job is still ours: past the visibility timeout another worker may own it.
        result = db.session.execute(update(Job).where(Job.id == run.id, Job.locked_by == self.id)
                                    .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            log.warning("%s job %s was taken over by another worker before it finished here", run.kind, run.id)

    # -- periodic tasks --------------------------------------------------------------------

    def schedule_periodic(self) -> list[str]:
        """Enqueue each periodic task that is due, unless another worker just did; returns their names."""
        enqueued = []
        for task in self.registry.periodics.values():
            now = utcnow()
            insert_or_ignore(db.session, JobSchedule, {"name": task.name, "next_run_at": now}, ["name"])
            won = db.session.execute(
                update(JobSchedule).where(JobSchedule.name == task.name, JobSchedule.next_run_at <= now)
                .values(next_run_at=now + task.every, last_run_at=now)
                .execution_options(synchronize_session=False)).rowcount == 1
            if won and not self._unfinished(task.name):  # a slow run is not stacked up
                enqueue(task.name, {"scheduled_at": now.isoformat()})
                enqueued.append(task.name)
            db.session.commit()
        return enqueued

    @staticmethod
    def _unfinished(kind: str) -> int:
        return db.session.scalar(select(func.count()).select_from(Job)
                                 .where(Job.kind == kind, Job.status.in_((PENDING, RUNNING))))
