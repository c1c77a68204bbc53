"""Webhook services for the tools: re-sending a failed delivery. They never commit."""

from __future__ import annotations

from sqlalchemy import select

from app.errors import Conflict, NotFound
from app.extensions import db
from app.gateway.models import CallLog
from app.jobs import enqueue
from app.jobs.models import Job


def resend(account_id: str, log_id: str) -> CallLog:
    """Queue the failed webhook of call `log_id` (of an endpoint `account_id` owns) again.

    The event, target and auth header are the original delivery's; the signature uses the
    endpoint's current secret and the `webhook-id` stays the same. The log goes back to
    `pending`. Raises 404 `log_not_found`, 409 `webhook_not_failed` (none, pending or
    delivered) or 409 `webhook_expired` (the delivery's job was pruned, after 30 days).
    """
    from app.webhooks.delivery import FAILED, KIND, PENDING

    log = db.session.scalar(select(CallLog).where(CallLog.id == log_id, CallLog.account_id == account_id))
    if log is None:
        raise NotFound("No call log with this id among your endpoints.", code="log_not_found")
    if log.webhook_status != FAILED:
        state = log.webhook_status or "none"
        raise Conflict(f"Only a failed webhook delivery can be re-sent; this one is {state}.",
                       code="webhook_not_failed", details={"webhook_status": state})
    job = db.session.scalar(select(Job).where(Job.kind == KIND, Job.payload["log_id"].as_string() == log.id)
                            .order_by(Job.id.desc()).limit(1))
    if job is None:
        raise Conflict("This delivery is too old to re-send.", code="webhook_expired")
    enqueue(KIND, dict(job.payload))
    log.webhook_status = PENDING
    return log
