"""Writing activity rows: who ran which action, on which surface, and what came of it.

The runner calls `add` in the action's own transaction (so a success and its row commit
together) and `refused` after a rollback, in a small transaction of its own (so a refused
or failed call is on the trail too). Arguments are kept without record payloads and
without anything secret; strings are cut short. The row is written only while its account
exists (`INSERT … SELECT … WHERE EXISTS`), so an action that deletes the account is not
undone by its own trail.
"""

from __future__ import annotations

import json
import logging
import re

from flask import current_app, has_request_context, request
from app.db import utcnow
from app.extensions import db
from app.gateway.sql import Conn, Raw

log = logging.getLogger(__name__)

PERSON, DASHBOARD, REST, MCP = "person", "dashboard", "rest", "mcp"
SUCCESS, REFUSED, FAILED = "success", "refused", "failed"
OUTCOMES = (SUCCESS, REFUSED, FAILED)
SURFACES = (DASHBOARD, REST, MCP)
DROPPED = re.compile(r"^data$|password|token|secret|auth_value|api_key|slack_url|discord_url", re.I)
MAX_STRING, MAX_ITEMS, MAX_DEPTH, MAX_JSON = 200, 20, 4, 4000

# Run on the session's DB-API connection, like the gateway's hot path: SQLAlchemy's execution
# machinery would cost more than the INSERT itself (bench/activity.py).
INSERT = Raw(
    "INSERT INTO activity (account_id, created_at, actor_kind, actor_id, actor_name, surface, action, "
    "outcome, error_code, endpoint, arguments) "
    "SELECT :account_id, :created_at, :actor_kind, :actor_id, :actor_name, :surface, :action, :outcome, "
    ":error_code, :endpoint, :arguments WHERE EXISTS (SELECT 1 FROM accounts WHERE id = :owner)")


def enabled() -> bool:
    return current_app.config["ACTIVITY_ENABLED"]


def clean(value, depth: int = 0):
    """The arguments as they may be kept: no `data`, no secrets, short strings, short lists."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return "…"
        return {str(k)[:64]: clean(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS * 2]
                if not DROPPED.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [clean(v, depth + 1) for v in value[:MAX_ITEMS]]
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[:MAX_STRING] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)[:MAX_STRING]


def surface_of(surface: str | None) -> str:
    """The surface a call came through: given by the MCP adapter, else told by the request path."""
    if surface:
        return surface
    if has_request_context():
        path = request.path
        if path.startswith("/api/mcp"):
            return MCP
        if path.startswith("/api/"):
            return REST
    return DASHBOARD


def who(actor) -> tuple[str, str | None, str]:
    """(actor_kind, actor_id, actor_name): the person's email, the key's label, the client's name."""
    if actor.is_person:
        from app.accounts.models import Account

        account = db.session.get(Account, actor.account_id)
        return PERSON, None, account.email if account is not None else actor.account_id
    return actor.via, actor.credential_id, (actor.label or actor.via)[:200]


def outcome_of(err) -> tuple[str, str | None]:
    if err is None:
        return SUCCESS, None
    status = getattr(err, "status", 500)
    return (REFUSED if status in (401, 403) else FAILED), getattr(err, "code", "internal_error")


def add(action, actor, raw: dict, surface: str | None, err=None) -> None:
    """Add the row to the current transaction (the caller commits)."""
    if actor is None or not enabled():
        return
    kind, actor_id, name = who(actor)
    outcome, code = outcome_of(err)
    args = json.dumps(clean(raw if isinstance(raw, dict) else {}), default=str)
    if len(args) > MAX_JSON:
        args = json.dumps({"_truncated": True})
    endpoint = raw.get("endpoint") if isinstance(raw, dict) else None
    conn = Conn.of_session()
    conn.run(INSERT, {
        "account_id": actor.account_id, "owner": actor.account_id, "created_at": conn.time(utcnow()), "actor_kind": kind, "actor_id": actor_id,
        "actor_name": name, "surface": surface_of(surface), "action": action.tool_name, "outcome": outcome,
        "error_code": code, "endpoint": str(endpoint)[:120] if endpoint else None, "arguments": args}).close()


def refused(action, actor, raw: dict, surface: str | None, err) -> None:
    """Record a refused or failed call in a transaction of its own (the caller rolled its own back)."""
    if actor is None or not enabled():
        return
    try:
        add(action, actor, raw, surface, err)
        db.session.commit()
    except Exception:  # the trail must never hide the caller's own error
        log.exception("could not record activity of %s", action.tool_name)
        db.session.rollback()
