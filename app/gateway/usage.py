"""Usage: daily counters per endpoint/environment/key, the plan's 30-day cycle counter, quotas.

Counters are written in the same transaction as the call they count, with one upsert
each, so a rolled-back call leaves no trace in them. A data-plane read's transaction comes a
moment after its answer (`app.gateway.read_log`); until then the quota counts it from memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from app.db import utcnow
from app.errors import AppError
from app.gateway import sql

CYCLE = timedelta(days=30)
KNOWN_CYCLES = 10_000  # keys whose last cycle start this process remembers
_last_cycle: dict[str, object] = {}  # data key's hash -> the cycle start (storage form) it was last charged in


def cycle_bounds(started: datetime, now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    n = max(0, (now - started) // CYCLE)
    start = started + n * CYCLE
    return start, start + CYCLE


def plan_of(account) -> dict:
    return current_app.config["PLANS"][account.plan]


def count(writes: sql.Writes, conn: sql.Conn, *, now: datetime, success: bool, write: bool, latency_ms: float,
          charge_cycle: datetime | None, overage: bool = False) -> None:
    """Add to the daily counters of `now`'s day (the call log's own time) and, when `charge_cycle`
    (a cycle start) is given, charge the plan; `writes` already holds the call's ids."""
    writes.add(sql.ADD_DAILY, day=conn.day(now.date()), shard=conn.shard, ok=int(success), failed=int(not success),
               write=int(write), write_latency=latency_ms if write else 0.0)
    if charge_cycle is not None:
        writes.add(sql.ADD_CYCLE, cycle_start=conn.time(charge_cycle), over=int(overage))


def last_cycle(digest: str):
    """The cycle start a data key's calls were last charged in, in this process, or None."""
    return _last_cycle.get(digest)


def waiting_reads():
    """This process's read log (`app.gateway.read_log`), or None."""
    return current_app.extensions.get("minapi.read_log")


def reads_written() -> int:
    """How many batches the read log has written so far: taken before a count of the cycle's
    calls, for `check_quota` to tell whether a batch went from memory to the database since."""
    reads = waiting_reads()
    return reads.written if reads is not None else 0


def check_quota(conn: sql.Conn, account, cycle_start: datetime) -> tuple[int, int]:
    """(calls so far this cycle, the plan's calls); raises 429 quota_exceeded when they are used up
    and the plan allows no overage. A read, so concurrent calls do not queue on it (they may
    overshoot the limit by the few calls in flight; other processes' reads count once their read
    log writes them, see `app.gateway.read_log`). When the key's lookup already counted this
    cycle's calls (`sql.find_key`: the cycle it was last charged in is still current), that
    count is used; else they are counted here, and the cycle remembered for the key's next call.
    This process's reads not yet written are added: read before the database's count (or, for
    the lookup's count, with no batch written since it, `reads_written`), so that no read is
    left out of both."""
    plan = plan_of(account)
    stored = conn.time(cycle_start)
    reads = waiting_reads()
    waiting = reads.waiting_charges(account.id, stored) if reads is not None else 0
    known = getattr(account, "cycle_calls", None)
    if (known is not None and known[0] == stored
            and (reads is None or reads.written == getattr(account, "reads_written", None))):
        used = known[1]
    else:
        used = conn.one(sql.CYCLE_CALLS, {"account_id": account.id, "cycle_start": stored})[0]
        digest = getattr(account, "key_digest", None)
        if digest is not None:
            if len(_last_cycle) >= KNOWN_CYCLES:
                _last_cycle.clear()
            _last_cycle[digest] = stored
    used += waiting
    if used >= plan["calls"] and not plan.get("overage_price"):
        raise AppError(f"Your {account.plan} plan's {plan['calls']:,} calls for this cycle are used up.",
                       code="quota_exceeded", status=429, details={"limit": plan["calls"], "used": used})
    return used, plan["calls"]
