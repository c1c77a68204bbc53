"""Quota headroom: `{used, limit, remaining, cycle_ends}` of the account's plan, for MCP results.

The same figures `subscription_get` shows (`cycle_usage` serves both), read in one indexed
statement, so an assistant can warn before a quota runs out.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.gateway.sql import Raw, read_one
from app.gateway.models import UsageCycle
from app.gateway.usage import cycle_bounds

META_KEY = "minapi/quota"


def cycle_usage(account_id: str, origin) -> tuple:
    """(cycle start, cycle end, calls used, overage calls) of the account's current 30-day cycle."""
    start, end = cycle_bounds(origin)
    used, overage = db.session.execute(select(func.coalesce(func.sum(UsageCycle.calls), 0),
                                              func.coalesce(func.sum(UsageCycle.overage), 0)).where(
        UsageCycle.account_id == account_id, UsageCycle.cycle_start == start)).one()  # the sum of the shards
    return start, end, used, overage


# One statement on the DB-API connection (an MCP call pays for it; see bench/activity.py): the
# plan and cycle origin, and the sum of the counter shards of the account's latest cycle.
HEADROOM = Raw(
    "SELECT a.plan, a.cycle_started_at, a.created_at, u.cycle_start, COALESCE(SUM(u.calls), 0) "
    "FROM accounts a LEFT JOIN usage_cycles u ON u.account_id = a.id AND u.cycle_start = "
    "(SELECT MAX(m.cycle_start) FROM usage_cycles m WHERE m.account_id = a.id) "
    "WHERE a.id = :account_id GROUP BY a.plan, a.cycle_started_at, a.created_at, u.cycle_start")


def _moment(value) -> datetime | None:
    """A stored UTC time (text on SQLite, naive on PostgreSQL) as an aware datetime."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=timezone.utc)


def headroom(account_id: str) -> dict | None:
    """The quota figure for `_meta["minapi/quota"]`; None when the account is gone. Read after the
    action's commit, on the serving thread's own connection (`read_one`)."""
    row = read_one(HEADROOM, {"account_id": account_id})
    if row is None:
        return None
    plan, started, created, last_cycle, calls = row
    limit = current_app.config["PLANS"][plan]["calls"]
    start, end = cycle_bounds(_moment(started) or _moment(created))
    used = int(calls) if _moment(last_cycle) == start else 0  # no call counted in this cycle yet
    return {"used": used, "limit": limit, "remaining": max(0, limit - used), "cycle_ends": end.isoformat()}
