"""Notifications and usage alerts, from a real failed gateway call to a real receiver and mailbox."""

import os
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from app.accounts.models import Account
from app.db import utcnow
from app.extensions import db
from app.gateway.models import UsageCycle
from app.jobs.models import Job
from app.notify import notify_usage
from app.notify.models import NotificationThrottle
from tests.gateway_helpers import make_owner
from tests.receivers import Receiver, wait_until

TOKEN = "123456:" + "A" * 35


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def gateway(make_app, receiver):
    def build(**config):
        config.setdefault("WEBHOOK_ALLOW_PRIVATE", True)
        config.setdefault("JOB_BACKOFF_BASE", 0.01)
        config.setdefault("JOB_BACKOFF_MAX", 0.01)
        app = make_app(TELEGRAM_API_URL=receiver.url + "/telegram", **config)
        app.owner = make_owner(app.test_client())
        app.endpoint = app.owner.create_endpoint(fields=[{"name": "item", "type": "string", "required": True}])
        return app
    return build


def settings(receiver, **extra):
    return {"on_failed_call": True, "email": "ops@example.com", "slack_url": receiver.url + "/slack",
            "discord_url": receiver.url + "/discord", "telegram_bot_token": TOKEN, "telegram_chat_id": "-10042",
            **extra}


def configure(app, **body):
    resp = app.owner.api("PATCH", f"/api/v1/endpoints/{app.endpoint.slug}", json={"environment": "sandbox", **body})
    assert resp.status_code == 200, resp.json


def failed_call(app) -> str:
    resp = app.endpoint.call("POST", json={"qty": 1})
    assert resp.status_code == 400
    return resp.headers["X-Minapi-Log-Id"]


def notify(app, log_id):
    """Whether the gateway queued a notification when it logged this failed call."""
    with app.app_context():
        jobs = db.session.scalars(select(Job).where(Job.kind == "notify.event")).all()
        return any(job.payload.get("log_id") == log_id for job in jobs)


def burst(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def outbox(app):
    folder = os.path.join(app.instance_path, "outbox")
    if not os.path.isdir(folder):
        return []
    return [message_from_bytes(open(os.path.join(folder, name), "rb").read(), policy=policy.default)
            for name in sorted(os.listdir(folder)) if name.endswith(".eml")]


def by_path(receiver):
    return {r.path: r.json for r in receiver.requests}


def test_a_failed_call_is_notified_on_every_channel_then_throttled(gateway, receiver):
    app = gateway()
    configure(app, notifications=settings(receiver))
    first = failed_call(app)
    assert notify(app, first)
    assert notify(app, failed_call(app))  # queued before the first was sent: the job's throttle decides
    burst(app)
    sent = by_path(receiver)
    assert len(receiver.requests) == 3
    assert "failed" in sent["/slack"]["text"] and first in sent["/slack"]["text"]
    assert sent["/discord"]["content"] == sent["/slack"]["text"]
    assert sent[f"/telegram/bot{TOKEN}/sendMessage"] == {"chat_id": "-10042", "text": sent["/slack"]["text"]}
    mails = outbox(app)
    assert len(mails) == 1 and mails[0]["To"] == "ops@example.com"
    assert mails[0]["Subject"] == 'minapi: a call to endpoint "Orders" (sandbox) failed'
    assert "POST → 400 validation_failed" in mails[0].get_content()

    assert not notify(app, failed_call(app))  # within 15 minutes: not even queued
    with app.app_context():
        db.session.execute(update(NotificationThrottle).values(last_sent_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()
    assert notify(app, failed_call(app))
    burst(app)
    assert len(receiver.requests) == 6 and len(outbox(app)) == 2


def test_no_notification_unless_asked_for(gateway, receiver):
    app = gateway()
    assert not notify(app, failed_call(app))  # default settings: off
    configure(app, notifications=settings(receiver, on_failed_call=False))
    assert not notify(app, failed_call(app))
    configure(app, notifications={"on_failed_call": True, "email": None, "slack_url": None, "discord_url": None,
                                  "telegram_bot_token": None})
    assert not notify(app, failed_call(app))  # on, but no channel


def test_a_notification_switched_off_before_it_is_sent_is_dropped(gateway, receiver):
    app = gateway()
    configure(app, notifications=settings(receiver))
    assert notify(app, failed_call(app))
    configure(app, notifications={"on_failed_call": False})
    burst(app)
    assert receiver.requests == [] and outbox(app) == []


def test_a_webhook_that_failed_for_good_is_notified(gateway, receiver):
    app = gateway()
    with Receiver([500] * 8) as target:
        configure(app, webhook={"url": target.url},
                  notifications={"on_failed_webhook": True, "slack_url": receiver.url + "/slack"})
        log_id = app.endpoint.call("POST", json={"item": "book"}).headers["X-Minapi-Log-Id"]

        def notified():
            burst(app)
            return receiver.requests
        wait_until(notified, timeout=30, message="the failed-webhook notification")
    text = receiver.requests[0].json["text"]
    assert "could not be delivered" in text and log_id in text and "8 attempts; last error: HTTP 500" in text
    assert len(target.requests) == 8


def test_slack_and_discord_urls_get_the_webhook_ssrf_guard(gateway, receiver):
    app = gateway(WEBHOOK_ALLOW_PRIVATE=False)
    configure(app, notifications=settings(receiver, email=None, telegram_bot_token=None))
    assert notify(app, failed_call(app))
    burst(app)
    assert receiver.requests == []
    with app.app_context():
        jobs = db.session.scalars(select(Job).where(Job.kind == "notify.deliver")).all()
        assert [(j.status, j.attempts) for j in jobs] == [("dead", 1), ("dead", 1)]
        assert all("non-public address" in j.last_error for j in jobs)


def test_usage_alerts_fire_once_per_threshold_and_cycle(gateway):
    app = gateway()
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "owner@example.com"))
        start = utcnow().replace(microsecond=0) - timedelta(days=3)
        db.session.add(UsageCycle(account_id=account.id, cycle_start=start, calls=0, overage=0))
        db.session.commit()
        steps = [(500, []), (799, []), (800, [80]), (950, []), (1000, [100]), (1001, []), (1200, [])]
        assert [(used, notify_usage(account.id, used, 1000)) for used, _ in steps] == steps
        db.session.commit()
        next_cycle = start + timedelta(days=30)
        assert notify_usage(account.id, 1000, 1000, cycle_start=next_cycle) == [80, 100]  # one alert: 100 %
        assert notify_usage(account.id, 1000, 1000, cycle_start=next_cycle) == []
        assert notify_usage(account.id, 10, 0) == []  # no limit, no alert
        db.session.commit()
    burst(app)
    subjects = sorted(m["Subject"] for m in outbox(app))
    assert subjects == ["minapi: you have used 100 % of your plan's calls"] * 2 + \
        ["minapi: you have used 80 % of your plan's calls"]
    assert all(m["To"] == "owner@example.com" for m in outbox(app))


def test_the_gateway_sends_usage_alerts_at_80_and_100_percent(make_app):
    app = make_app(PLANS={"tiny": {"calls": 5, "price": 0}}, DEFAULT_PLAN="tiny")
    ep = make_owner(app.test_client()).create_endpoint()
    statuses = [ep.call("GET").status_code for _ in range(3)]
    burst(app)
    assert outbox(app) == []  # 3 of 5: nothing yet
    statuses += [ep.call("GET").status_code for _ in range(4)]  # 4 (80 %), 5 (100 %), then refused twice
    burst(app)
    assert statuses == [200] * 5 + [429] * 2
    subjects = sorted(m["Subject"] for m in outbox(app))
    assert subjects == ["minapi: you have used 100 % of your plan's calls",
                        "minapi: you have used 80 % of your plan's calls"]
