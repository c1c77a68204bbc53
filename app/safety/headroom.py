"""Quota headroom: `{used, limit, remaining, cycle_ends}` of the account's plan, for MCP results.

Two indexed reads (the account's plan and cycle, and the sum of this cycle's counter shards),
the same figures `subscription_get` shows, so an assistant can warn before a quota runs out.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.accounts.models import Account
from app.extensions import db
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


def headroom(account_id: str) -> dict | None:
    """The quota figure for `_meta["minapi/quota"]`; None when the account is gone."""
    row = db.session.execute(select(Account.plan, Account.cycle_started_at, Account.created_at)
                             .where(Account.id == account_id)).one_or_none()
    if row is None:
        return None
    limit = current_app.config["PLANS"][row.plan]["calls"]
    _start, end, used, _over = cycle_usage(account_id, row.cycle_started_at or row.created_at)
    return {"used": used, "limit": limit, "remaining": max(0, limit - used), "cycle_ends": end.isoformat()}
