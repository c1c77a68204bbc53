"""Deciding to notify. Cheap checks here (they run in the gateway's transaction); sending is a job.

Throttling: at most one notification per endpoint, environment and kind per
`MINAPI_NOTIFY_THROTTLE` seconds (15 minutes by default). Usage alerts: one per account,
cycle and threshold (80 and 100 % of the plan's calls). None of these commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import Account
from app.db import insert_or_ignore, utcnow
from app.extensions import db
from app.gateway.models import CallLog, Endpoint, UsageCycle
from app.jobs import enqueue
from app.jobs.models import Job
from app.notify.channels import targets
from app.notify.models import NotificationThrottle, UsageAlert

FAILED_CALL, FAILED_WEBHOOK = "failed_call", "failed_webhook"
SETTING = {FAILED_CALL: "on_failed_call", FAILED_WEBHOOK: "on_failed_webhook"}
THRESHOLDS = (80, 100)


def notify_failed_call(log: CallLog) -> Job | None:
    """Queue a "failed call" notification for `log` if its endpoint and environment want one."""
    return _notify(FAILED_CALL, log)


def notify_failed_webhook(log: CallLog) -> Job | None:
    """Queue a "webhook delivery failed" notification for `log` (after its last attempt)."""
    return _notify(FAILED_WEBHOOK, log)


def _notify(kind: str, log: CallLog) -> Job | None:
    endpoint = db.session.get(Endpoint, log.endpoint_id)
    if endpoint is None or not wanted(settings_of(endpoint, log.environment), kind):
        return None
    if recently_sent(endpoint.id, log.environment, kind):  # a read, so a storm of failures stays cheap
        return None
    if log.id is None:
        db.session.flush()
    return enqueue("notify.event", {"kind": kind, "endpoint_id": endpoint.id,
                                    "environment": log.environment, "log_id": log.id})


def settings_of(endpoint: Endpoint, environment: str) -> dict:
    config = endpoint.config(environment) or {}
    return config.get("notifications") or {}


def wanted(settings: dict, kind: str) -> bool:
    return bool(settings.get(SETTING[kind])) and bool(targets(settings))


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["NOTIFY_THROTTLE"])


def recently_sent(endpoint_id: str, environment: str, kind: str) -> bool:
    last = db.session.scalar(select(NotificationThrottle.last_sent_at).where(
        NotificationThrottle.endpoint_id == endpoint_id, NotificationThrottle.environment == environment,
        NotificationThrottle.kind == kind))
    return last is not None and last > utcnow() - _window()


def take_throttle(endpoint_id: str, environment: str, kind: str) -> bool:
    """Claim the right to send now; False when another notification went out within the window."""
    now, keys = utcnow(), {"endpoint_id": endpoint_id, "environment": environment, "kind": kind}
    if insert_or_ignore(db.session, NotificationThrottle, {**keys, "last_sent_at": now}, list(keys)):
        return True
    claimed = db.session.execute(
        update(NotificationThrottle).where(*(getattr(NotificationThrottle, k) == v for k, v in keys.items()),
                                           NotificationThrottle.last_sent_at <= now - _window())
        .values(last_sent_at=now).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def usage_alert_possible(used: int, limit: int) -> bool:
    """Whether `used` calls of `limit` are past the first alert threshold (cheap; no database)."""
    return bool(limit) and limit > 0 and used * 100 >= THRESHOLDS[0] * limit


def notify_usage(account_id: str, used: int, limit: int, *, cycle_start: datetime | None = None) -> list[int]:
    """Queue a usage alert when `used` first reaches 80 % or 100 % of `limit` in this cycle.

    Call it after counting a call; it returns at once below 80 %. `cycle_start` names the
    cycle (default: the account's latest usage cycle). Returns the thresholds newly reached
    (both at once when a cycle jumps past 100 %: then one alert, for 100 %).
    """
    if not usage_alert_possible(used, limit):
        return []
    cycle_start = cycle_start or current_cycle_start(account_id)
    if cycle_start is None:
        return []
    reached = [t for t in THRESHOLDS if used * 100 >= t * limit]
    sent = set(db.session.scalars(select(UsageAlert.threshold).where(
        UsageAlert.account_id == account_id, UsageAlert.cycle_start == cycle_start)))
    new = [t for t in reached if t not in sent and insert_or_ignore(
        db.session, UsageAlert, {"account_id": account_id, "cycle_start": cycle_start, "threshold": t,
                                 "sent_at": utcnow()}, ["account_id", "cycle_start", "threshold"])]
    if new:
        enqueue("notify.usage", {"account_id": account_id, "threshold": max(new), "used": used,
                                 "limit": limit, "cycle_start": cycle_start.isoformat()})
    return new


def current_cycle_start(account_id: str) -> datetime | None:
    latest = db.session.scalar(select(UsageCycle.cycle_start).where(UsageCycle.account_id == account_id)
                               .order_by(UsageCycle.cycle_start.desc()).limit(1))
    if latest is not None:
        return latest
    account = db.session.get(Account, account_id)
    return account.cycle_started_at if account is not None else None
