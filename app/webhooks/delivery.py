"""The `webhook.deliver` job: POST one record event, signed, and keep each attempt's outcome.

The gateway enqueues it with the write (see SPEC §6 and the payload below); the call log's
`webhook_status` goes pending → delivered, or → failed once every attempt has failed, when
the endpoint's "failed webhook" notification fires. Payload:
`{log_id, endpoint_id, environment, url, auth_header, auth_value, event}`.
"""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import select

from app import metrics, net
from app.extensions import db
from app.gateway.models import CallLog, Endpoint
from app.jobs import JobRun, Permanent
from app.tools import hookimpl
from app.webhooks import signing

KIND = "webhook.deliver"
MAX_ATTEMPTS = 8  # with the default backoff: about a day of retries
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ERROR = 300  # CallLog.webhook_last_error


def message_id(log_id: str) -> str:
    """One id per event, shared by its retries and re-sends, so receivers can de-duplicate."""
    return "msg_" + (log_id[4:] if log_id.startswith("log_") else log_id)


def body_of(event: dict) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def deliver(job: JobRun) -> None:
    payload = job.payload
    endpoint = db.session.get(Endpoint, payload["endpoint_id"])
    if endpoint is None:
        raise Permanent("the endpoint no longer exists")
    body = body_of(payload["event"])
    headers = {}
    if payload.get("auth_value"):
        headers[payload.get("auth_header") or "Authorization"] = payload["auth_value"]
    headers.update(signing.headers(endpoint.webhook_secret, message_id(payload["log_id"]), body))
    status = net.post_json(payload["url"], body, headers, timeout=current_app.config["WEBHOOK_TIMEOUT"],
                           allow_private=current_app.config["WEBHOOK_ALLOW_PRIVATE"])
    log = _log(payload)
    if log is not None:
        log.webhook_status, log.webhook_last_status, log.webhook_last_error = DELIVERED, status, None
        log.webhook_attempts += 1
    metrics.webhook_delivery(current_app, DELIVERED)


def delivery_failed(job: JobRun, error: BaseException, dead: bool) -> None:
    """Runs after each failed attempt (the handler's writes are gone): record it on the log."""
    metrics.webhook_delivery(current_app, FAILED if dead else "retrying")
    log = _log(job.payload)
    if log is None:  # archived or deleted meanwhile: nothing to record on
        return
    text = error.error if isinstance(error, net.OutboundError) else f"{type(error).__name__}: {error}"
    log.webhook_attempts += 1
    log.webhook_last_status = getattr(error, "status", None)
    log.webhook_last_error = text[:MAX_ERROR]
    log.webhook_status = FAILED if dead else PENDING
    if dead:
        from app.notify import notify_failed_webhook

        notify_failed_webhook(log)


def _log(payload: dict) -> CallLog | None:
    return db.session.scalar(select(CallLog).where(CallLog.id == payload["log_id"]))


@hookimpl
def register_jobs(jobs):
    jobs.handler(KIND, deliver, max_attempts=MAX_ATTEMPTS, on_failure=delivery_failed)
