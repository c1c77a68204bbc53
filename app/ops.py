"""Operations endpoints for load balancers and monitoring (SPEC §7).

- `GET /healthz`: the process answers (no database touched).
- `GET /readyz`: the database answers, its migrations are the code's head, and a job worker
  was seen within `WORKER_SEEN_WITHIN`; 200, else 503 naming each failing check.
- `GET /metrics`: Prometheus text (see `app.metrics`); 404 unless `MINAPI_METRICS_TOKEN` is
  set, then `Authorization: Bearer <token>` is required.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import func, select, text

from app import metrics
from app.db import utcnow
from app.errors import NotFound, Unauthorized
from app.extensions import db
from app.jobs.models import PENDING, RUNNING, Job, WorkerHeartbeat

bp = Blueprint("ops", __name__)
WORKER_SEEN_WITHIN = timedelta(minutes=1)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@lru_cache(maxsize=4)
def code_heads(directory: str) -> frozenset:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(directory).get_heads())


def _check_database() -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


def _check_migrations() -> str | None:
    from app import MIGRATIONS_DIR

    applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    heads = code_heads(MIGRATIONS_DIR)
    if applied != heads:
        return (f"database at {', '.join(sorted(applied)) or 'no revision'}, code expects "
                f"{', '.join(sorted(heads))}: run `minapi db upgrade`")
    return None


def _check_worker() -> str | None:
    seen = db.session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    if seen is None or seen < utcnow() - WORKER_SEEN_WITHIN:
        return "no job worker seen in the last minute" + (f" (last {seen.isoformat()})" if seen else "")
    return None


CHECKS = (("database", _check_database), ("migrations", _check_migrations), ("worker", _check_worker))


@bp.get("/readyz")
def readyz():
    results, failing = {}, {}
    for name, check in CHECKS:
        if "database" in failing:  # nothing else can be read
            failing[name] = results[name] = "not checked: the database is unreachable"
            continue
        try:
            problem = check()
        except Exception as exc:  # any failure of a check is the answer, never a 500
            db.session.rollback()
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".rstrip(": ")
        results[name] = problem or "ok"
        if problem:
            failing[name] = problem
    db.session.remove()
    if failing:
        names = ", ".join(failing)
        body = {"error": {"code": "not_ready", "message": f"Not ready: {names}.",
                          "details": {"failing": list(failing), "checks": results}}}
        return jsonify(body), 503
    return jsonify(status="ready", checks=results)


def queue_state() -> dict:
    now = utcnow()
    counts = dict(db.session.execute(select(Job.status, func.count()).where(Job.status.in_((PENDING, RUNNING)))
                                     .group_by(Job.status)).all())
    oldest = db.session.scalar(select(func.min(Job.run_at)).where(Job.status == PENDING, Job.run_at <= now))
    due = db.session.scalar(select(func.count()).select_from(Job).where(Job.status == PENDING, Job.run_at <= now))
    return {"counts": {"pending": counts.get(PENDING, 0), "due": due, "running": counts.get(RUNNING, 0)},
            "oldest_due_seconds": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0}


class MetricsTokenRequired(Unauthorized):
    code = "invalid_token"
    message = "GET /metrics needs the header Authorization: Bearer <MINAPI_METRICS_TOKEN>."


@bp.get("/metrics")
def metrics_view():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise NotFound("Metrics are off: set MINAPI_METRICS_TOKEN to turn them on.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise MetricsTokenRequired(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    try:
        queue = queue_state()
    except Exception:  # the database is down: the counters still render, the queue reads -1
        db.session.rollback()
        queue = {"counts": {"pending": -1, "due": -1, "running": -1}, "oldest_due_seconds": -1}
    return Response(metrics.render(queue), mimetype="text/plain; version=0.0.4; charset=utf-8")


def register(app) -> None:
    app.register_blueprint(bp)
    metrics.install(app)

