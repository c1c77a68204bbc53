"""Quota headroom: `{used, limit, remaining, cycle_ends}` of the account's plan, for MCP results.

The same figures `subscription_get` shows (`cycle_usage`), read in one indexed statement (for
most MCP calls, the credential's own lookup: `prefetch.py`), so an assistant can warn before a
quota runs out.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, g
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


# The plan and cycle origin, and the sum of the counter shards of the account's latest cycle, as
# columns over `accounts` aliased `acct`: appended to an AI credential's lookup (prefetch.py), or
# read alone on the serving thread's own connection (`read_one`).
ACCOUNT = "acct"
COLUMNS = (
    "acct.plan, acct.cycle_started_at, acct.created_at, "
    "(SELECT MAX(m.cycle_start) FROM usage_cycles m WHERE m.account_id = acct.id), "
    "(SELECT COALESCE(SUM(u.calls), 0) FROM usage_cycles u WHERE u.account_id = acct.id AND u.cycle_start = "
    "(SELECT MAX(m.cycle_start) FROM usage_cycles m WHERE m.account_id = acct.id))")
WIDTH = 5
HEADROOM = Raw(f"SELECT {COLUMNS} FROM accounts acct WHERE acct.id = :account_id")


def _moment(value) -> datetime | None:
    """A stored UTC time (text on SQLite, naive on PostgreSQL) as an aware datetime."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=timezone.utc)


def headroom(account_id: str) -> dict | None:
    """The quota figure for `_meta["minapi/quota"]`, read now; None when the account is gone."""
    return figure(read_one(HEADROOM, {"account_id": account_id}))


def figure(row) -> dict | None:
    """The quota figure from the `COLUMNS` of a row; None when the account is gone."""
    if row is None or row[0] is None:
        return None
    plan, started, created, last_cycle, calls = row
    limit = current_app.config["PLANS"][plan]["calls"]
    start, end = cycle_bounds(_moment(started) or _moment(created))
    used = int(calls) if _moment(last_cycle) == start else 0  # no call counted in this cycle yet
    return {"used": used, "limit": limit, "remaining": max(0, limit - used), "cycle_ends": end.isoformat()}


def mark_counted() -> None:
    """Note that this app context counted a call against the plan (an api_call tool), so the
    figure read with the credential (prefetch.py) no longer holds for its result."""
    g.minapi_quota_counted = True


def counted_here() -> bool:
    """Whether `mark_counted` was called in this app context since it was last asked."""
    return g.pop("minapi_quota_counted", False)
