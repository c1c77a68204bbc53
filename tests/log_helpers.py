"""Helpers for logs, stats and archive tests: calls through the real gateway, then moved back in time.

`backdate` is the one place tests write to the database directly: no public edge can make a
call happen 40 days ago.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.db import utcnow
from app.extensions import db


def backdate(app, model, ids, **columns) -> None:
    """Set datetime columns (e.g. created_at=…) of the rows of `model` whose id is in `ids`."""
    with app.app_context():
        db.session.execute(update(model).where(model.id.in_(list(ids))).values(**columns))
        db.session.commit()


def days_ago(n: float, hour: int | None = None):
    moment = utcnow() - timedelta(days=n)
    return moment if hour is None else moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def log_id(resp) -> str:
    """The call log id of a data-plane response."""
    return resp.headers["X-Minapi-Log-Id"]


def deployed(ep):
    """Make the sandbox call a deploy needs, then deploy."""
    assert ep.call("POST", json={"item": "warm-up"}).status_code == 201
    assert ep.deploy().status_code == 200
    return ep
