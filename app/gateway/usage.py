"""Usage: daily counters per endpoint/environment/key, the plan's 30-day cycle counter, quotas.

Counters are written in the same transaction as the call they count, with one upsert
each, so a rolled-back call leaves no trace in them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from app.db import utcnow
from app.errors import AppError
from app.gateway import sql

CYCLE = timedelta(days=30)


def cycle_bounds(started: datetime, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    n = max(0, (now - started) // CYCLE)
    start = started + n * CYCLE
    return start, start + CYCLE


def plan_of(account) -> dict:
    return current_app.config["PLANS"][account.plan]


def write_log_and_counters(log: dict, *, now: datetime, dialect: str, success: bool, write: bool,
                           latency_ms: float, charge_cycle, overage: bool = False) -> None:
    """Insert the call log, add to the daily counters of `now`'s day (the log's own time) and, when
    `charge_cycle` (a cycle start) is given, charge the plan: one statement on PostgreSQL, three on SQLite."""
    params = {**log, "day": sql.stored_day(now.date(), dialect), "shard": sql.shard(), "ok": int(success),
              "failed": int(not success), "write": int(write), "latency": latency_ms if write else 0.0}
    if charge_cycle is not None:
        params.update(cycle_start=sql.stored_time(charge_cycle, dialect), over=int(overage))
    if dialect == "postgresql":
        (sql.LOG_DAILY_AND_CYCLE_PG if charge_cycle is not None else sql.LOG_AND_DAILY_PG).run(params)
        return
    sql.INSERT_LOG.run(params)
    sql.ADD_DAILY.run(params)
    if charge_cycle is not None:
        sql.ADD_CYCLE.run(params)


def check_quota(account, cycle_start: datetime) -> tuple[int, int]:
    """(calls so far this cycle, the plan's calls); raises 429 quota_exceeded when they are used up
    and the plan allows no overage. A read, so concurrent calls do not queue on it (they may
    overshoot the limit by the few calls in flight)."""
    plan = plan_of(account)
    used = sql.CYCLE_CALLS.run({"account_id": account.id,
                                "cycle_start": sql.stored_time(cycle_start, sql.dialect())}).fetchone()[0]
    if used >= plan["calls"] and not plan.get("overage_price"):
        raise AppError(f"Your {account.plan} plan's {plan['calls']:,} calls for this cycle are used up.",
                       code="quota_exceeded", status=429, details={"limit": plan["calls"], "used": used})
    return used, plan["calls"]
