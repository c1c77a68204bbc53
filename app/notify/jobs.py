"""The notification jobs.

`notify.event` re-reads the endpoint's settings, takes the throttle and fans out: one
`email.send` or `notify.deliver` job per channel, so a failing channel is retried alone and
never repeats a message on the others. `notify.usage` mails a usage alert to the account.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Account
from app.extensions import db
from app.gateway.models import CallLog, Endpoint
from app.jobs import JobRun, enqueue
from app.mail import send_mail
from app.notify import channels
from app.notify.services import settings_of, take_throttle, wanted
from app.tools import hookimpl


def handle_event(job: JobRun) -> None:
    payload = job.payload
    kind, environment = payload["kind"], payload["environment"]
    endpoint = db.session.get(Endpoint, payload["endpoint_id"])
    if endpoint is None:
        return
    settings = settings_of(endpoint, environment)
    if not wanted(settings, kind) or not take_throttle(endpoint.id, environment, kind):
        return
    log = db.session.scalar(select(CallLog).where(CallLog.id == payload.get("log_id")))
    window = int(current_app.config["NOTIFY_THROTTLE"] // 60)
    subject, text = channels.event_message(kind, endpoint, environment, log, window)
    for channel, target in channels.targets(settings):
        if channel == "email":
            send_mail(target["to"], subject, text)
        else:
            enqueue("notify.deliver", {"channel": channel, "target": target, "text": text})


def handle_deliver(job: JobRun) -> None:
    channels.send(job.payload["channel"], job.payload["target"], job.payload["text"])


def handle_usage(job: JobRun) -> None:
    payload = job.payload
    account = db.session.get(Account, payload["account_id"])
    if account is None:
        return
    subject, text = channels.usage_message(account, payload["threshold"], payload["used"], payload["limit"])
    send_mail(account.email, subject, text)


@hookimpl
def register_jobs(jobs):
    jobs.handler("notify.event", handle_event, max_attempts=5)
    jobs.handler("notify.deliver", handle_deliver, max_attempts=6)
    jobs.handler("notify.usage", handle_usage, max_attempts=5)
