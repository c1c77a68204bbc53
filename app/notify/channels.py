"""The notification messages, and sending one to Slack, Discord or Telegram (email goes through app.mail).

Slack and Discord take an incoming-webhook URL chosen by the user, so they go through the
same SSRF guard as webhooks; Telegram's API base is instance configuration
(`MINAPI_TELEGRAM_API_URL`), so it is trusted.
"""

from __future__ import annotations

import json
import re

from flask import current_app

from app import net
from app.jobs import Permanent

TELEGRAM_TOKEN = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")
LIMITS = {"slack": 30_000, "discord": 2000, "telegram": 4096}


def targets(settings: dict) -> list[tuple[str, dict]]:
    """The channels a notification settings object names, as (channel, target) pairs."""
    out = []
    if settings.get("email"):
        out.append(("email", {"to": settings["email"]}))
    if settings.get("slack_url"):
        out.append(("slack", {"url": settings["slack_url"]}))
    if settings.get("discord_url"):
        out.append(("discord", {"url": settings["discord_url"]}))
    if settings.get("telegram_bot_token") and settings.get("telegram_chat_id"):
        out.append(("telegram", {"token": settings["telegram_bot_token"], "chat_id": settings["telegram_chat_id"]}))
    return out


def event_message(kind: str, endpoint, environment: str, log, window_minutes: int) -> tuple[str, str]:
    where = f'endpoint "{endpoint.name}" ({environment})'
    if kind == "failed_call":
        subject = f"minapi: a call to {where} failed"
        detail = (f"{log.method} → {log.status_code} {log.error_code or ''} at {log.created_at:%Y-%m-%d %H:%M:%S} UTC"
                  if log is not None else "")
    else:
        subject = f"minapi: a webhook of {where} could not be delivered"
        detail = (f"{log.webhook_attempts} attempts; last error: {log.webhook_last_error or 'unknown'}. "
                  "Re-send it with the logs_resend_webhook tool." if log is not None else "")
    lines = [subject + ".", detail.strip()]
    if log is not None:
        lines.append(f"Call log: {log.id}")
    lines.append(f"Further ones within {window_minutes} minutes are not notified. "
                 f"Change these notifications in the endpoint's settings at {current_app.config['BASE_URL']}.")
    return subject, "\n".join(line for line in lines if line)


def usage_message(account, threshold: int, used: int, limit: int) -> tuple[str, str]:
    subject = f"minapi: you have used {threshold} % of your plan's calls"
    text = (f"Your account {account.email} (plan {account.plan}) has used {used:,} of {limit:,} calls "
            f"in this cycle ({threshold} %).\n")
    if threshold >= 100:
        text += "Calls past the limit are refused unless your plan allows overage. "
    text += f"See your subscription at {current_app.config['BASE_URL']}."
    return subject, text


def send(channel: str, target: dict, text: str) -> int:
    """Post `text` to one Slack, Discord or Telegram target; raises on failure."""
    cfg = current_app.config
    text = text[: LIMITS.get(channel, 2000)]
    if channel == "slack":
        url, body, allow_private = target["url"], {"text": text}, cfg["WEBHOOK_ALLOW_PRIVATE"]
    elif channel == "discord":
        url, body, allow_private = target["url"], {"content": text}, cfg["WEBHOOK_ALLOW_PRIVATE"]
    elif channel == "telegram":
        if not TELEGRAM_TOKEN.match(str(target["token"])):
            raise Permanent("the Telegram bot token is not valid")
        url = f"{cfg['TELEGRAM_API_URL']}/bot{target['token']}/sendMessage"
        body, allow_private = {"chat_id": target["chat_id"], "text": text}, True
    else:
        raise Permanent(f"unknown notification channel {channel!r}")
    return net.post_json(url, json.dumps(body).encode(), {}, timeout=cfg["WEBHOOK_TIMEOUT"],
                         allow_private=allow_private)
