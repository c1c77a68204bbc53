"""Email, sent by the worker: `send_mail(...)` queues an `email.send` job in the caller's transaction.

With `MINAPI_SMTP_URL` (`smtp://user:password@host:port`, STARTTLS when the server offers it,
or `smtps://` for TLS from the start) the job sends through that server. Without it, each
message is written to `<instance>/outbox/` as an `.eml` file and logged, so invitations and
notifications work on a fresh instance with no mail server.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from app.db import utcnow
from app.jobs import JobRun, Permanent, enqueue
from app.jobs.models import Job
from app.tools import hookimpl

log = logging.getLogger(__name__)
KIND = "email.send"
SMTP_TIMEOUT = 30
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> Job:
    """Queue one email (plain text, optionally with an HTML alternative); sent after commit."""
    return enqueue(KIND, {"to": to, "subject": subject, "text": text, "html": html})


def build_message(job: JobRun) -> EmailMessage:
    payload, sender = job.payload, current_app.config["MAIL_FROM"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = payload["to"]
    msg["Subject"] = payload["subject"]
    msg["Date"] = formatdate(usegmt=True)
    # The same id on every retry of the job: a receiver can tell a repeat from a new message.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"job{job.id}", domain=domain)
    msg.set_content(payload["text"])
    if payload.get("html"):
        msg.add_alternative(payload["html"], subtype="html")
    return msg


def deliver(job: JobRun) -> None:
    message = build_message(job)
    url = current_app.config["SMTP_URL"]
    if url:
        send_smtp(str(url), message)
        log.info("email %s to %s sent through SMTP", message["Message-ID"], message["To"])
    else:
        path = write_outbox(message, job.id)
        log.info("email to %s (%s) written to %s (set MINAPI_SMTP_URL to send it)",
                 message["To"], message["Subject"], path)


def send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    context = ssl.create_default_context()
    try:
        if secure:
            server = smtplib.SMTP_SSL(parts.hostname, port, timeout=SMTP_TIMEOUT, context=context)
        else:
            server = smtplib.SMTP(parts.hostname, port, timeout=SMTP_TIMEOUT)
        with server:
            server.ehlo()
            if not secure and server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
                secure = True
            if parts.username:
                if not secure and parts.hostname not in LOOPBACK:
                    raise Permanent("the SMTP server offers no TLS; refusing to send the password in clear")
                server.login(unquote(parts.username), unquote(parts.password or ""))
            server.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"recipient refused: {exc.recipients}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise Permanent(f"SMTP login failed: {exc.smtp_code}") from None


def write_outbox(message: EmailMessage, job_id: int) -> Path:
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(exist_ok=True)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S}-{job_id}.eml"
    temp = path.with_suffix(".tmp")
    temp.write_bytes(message.as_bytes())
    os.replace(temp, path)  # a reader never sees half a message
    return path


@hookimpl
def register_jobs(jobs):
    jobs.handler(KIND, deliver, max_attempts=8)
