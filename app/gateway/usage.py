"""Usage: daily counters per endpoint/environment/key, the plan's 30-day cycle counter, quotas.

Counters are written in the same transaction as the call they count, with one upsert
each, so a rolled-back call leaves no trace in them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.db import upsert_add, utcnow
from app.errors import AppError
from app.extensions import db
from app.gateway.models import UsageCycle, UsageDaily

CYCLE = timedelta(days=30)


def cycle_bounds(started: datetime, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    n = max(0, (now - started) // CYCLE)
    start = started + n * CYCLE
    return start, start + CYCLE


def plan_of(account) -> dict:
    return current_app.config["PLANS"][account.plan]


def used(account_id: str, cycle_start: datetime) -> int:
    return db.session.scalar(select(UsageCycle.calls).where(UsageCycle.account_id == account_id,
                                                            UsageCycle.cycle_start == cycle_start)) or 0


def check_quota(account, cycle_start: datetime) -> bool:
    """Raise 429 quota_exceeded when the plan's calls are used up; returns True for an overage call."""
    plan = plan_of(account)
    calls = used(account.id, cycle_start)
    if calls < plan["calls"]:
        return False
    if plan.get("overage_price"):
        return True
    raise AppError(f"Your {account.plan} plan's {plan['calls']:,} calls for this cycle are used up.",
                   code="quota_exceeded", status=429, details={"limit": plan["calls"], "used": calls})


def count(*, account_id: str, endpoint_id: str, environment: str, key_id: str, success: bool, write: bool,
          latency_ms: float, cycle_start: datetime | None, overage: bool) -> None:
    """Add one call to the daily counters and, when `cycle_start` is given, to the plan's cycle."""
    upsert_add(UsageDaily, {"endpoint_id": endpoint_id, "environment": environment, "key_id": key_id,
                            "day": utcnow().date()},
               {"calls": 1, "successes": int(success), "failures": int(not success), "writes": int(write),
                "write_latency_ms": latency_ms if write else 0.0}, extra={"account_id": account_id})
    if cycle_start is not None:
        upsert_add(UsageCycle, {"account_id": account_id, "cycle_start": cycle_start},
                   {"calls": 1, "overage": int(overage)})
