"""Email through a real SMTP server (aiosmtpd), and the outbox when no server is configured."""

import logging
import os
from email import message_from_bytes, policy

from sqlalchemy import select

from app.extensions import db
from app.jobs.models import Job
from app.mail import send_mail
from tests.live import free_port
from tests.receivers import SmtpSink


def queue_mail(app, commit=True, **kw):
    with app.app_context():
        send_mail(kw.get("to", "ada@example.com"), kw.get("subject", "Welcome"), kw.get("text", "Hello Ada."),
                  html=kw.get("html"))
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def burst(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_mail_goes_through_smtp_when_configured(make_app):
    with SmtpSink() as sink:
        app = make_app(SMTP_URL=sink.url, MAIL_FROM="minapi <alerts@example.org>")
        queue_mail(app, html="<p>Hello <b>Ada</b>.</p>")
        assert sink.messages == []  # queued, not sent in the caller's transaction
        burst(app)
    [msg] = sink.messages
    assert (msg["From"], msg["To"], msg["Subject"]) == ("minapi <alerts@example.org>", "ada@example.com", "Welcome")
    assert msg.get_body(("plain",)).get_content().strip() == "Hello Ada."
    assert "<b>Ada</b>" in msg.get_body(("html",)).get_content()
    assert msg["Message-ID"].endswith("@example.org>")
    assert not os.path.exists(os.path.join(app.instance_path, "outbox"))


def test_without_smtp_mail_is_written_to_the_outbox_and_logged(make_app, caplog):
    app = make_app()
    queue_mail(app, to="bob@example.com", subject="Invitation")
    queue_mail(app, commit=False)  # rolled back: never sent
    with caplog.at_level(logging.INFO, logger="app.mail"):
        burst(app)
    folder = os.path.join(app.instance_path, "outbox")
    [name] = os.listdir(folder)
    msg = message_from_bytes(open(os.path.join(folder, name), "rb").read(), policy=policy.default)
    assert (msg["To"], msg["Subject"], msg["From"]) == ("bob@example.com", "Invitation", "minapi <noreply@localhost>")
    assert name.endswith(".eml") and any("bob@example.com" in r.message and name in r.message for r in caplog.records)


def test_an_unreachable_smtp_server_means_a_retry_not_a_lost_mail(make_app):
    app = make_app(SMTP_URL=f"smtp://127.0.0.1:{free_port()}", JOB_BACKOFF_BASE=60)
    queue_mail(app)
    burst(app)
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "email.send"))
        assert (job.status, job.attempts) == ("pending", 1)
        assert "Connection refused" in job.last_error or "ConnectionRefused" in job.last_error
