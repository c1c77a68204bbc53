"""Writing activity rows: who ran which action, on which surface, and what came of it.

The runner calls `add` after a successful action and `refused` after a rollback. A write's
row goes into the action's own transaction, so the change and its row commit together. A
read changes nothing and a refused call's transaction was rolled back, so their rows have
no transaction of their own to join: they wait in the process's `Trail` (an `app.deferred`
batch), whose thread writes what has gathered in one transaction at most `FLUSH_SECONDS`
later, and any read of the trail in this process writes them first. A read then pays for no
write transaction of its own, and on SQLite the other connections' page caches are not
thrown away after every read (bench/activity.py measures both). Each row keeps the time of its call, and the trail is
ordered by that time, so a row written late still sits where its call was. Rows still
waiting when a process is killed outright are lost; a process that stops normally writes
them on its way out.

Arguments are kept without record payloads and without anything secret; strings are cut
short. The row is written only while its account exists (`INSERT … SELECT … WHERE EXISTS`),
so an action that deletes the account is not undone by its own trail.
"""

from __future__ import annotations

import json
import logging
import re

from flask import current_app, g, has_request_context, request
from app.db import utcnow
from app.deferred import Deferred
from app.extensions import db
from app.gateway.sql import Conn, Raw

log = logging.getLogger(__name__)

PERSON, DASHBOARD, REST, MCP = "person", "dashboard", "rest", "mcp"
SUCCESS, REFUSED, FAILED = "success", "refused", "failed"
OUTCOMES = (SUCCESS, REFUSED, FAILED)
SURFACES = (DASHBOARD, REST, MCP)
DROPPED = re.compile(r"^data$|password|token|secret|auth_value|api_key|slack_url|discord_url", re.I)
MAX_STRING, MAX_ITEMS, MAX_DEPTH, MAX_JSON = 200, 20, 4, 4000

COLUMNS = ("account_id", "created_at", "actor_kind", "actor_id", "actor_name", "surface", "action", "outcome",
           "error_code", "endpoint", "arguments")


def _insert(prefix: str) -> Raw:
    values = ", ".join(f":{prefix}{c}" for c in COLUMNS)
    return Raw(f"INSERT INTO activity ({', '.join(COLUMNS)}) SELECT {values} "
               f"WHERE EXISTS (SELECT 1 FROM accounts WHERE id = :{prefix}owner)")


# Run on the session's DB-API connection, like the gateway's hot path: SQLAlchemy's execution
# machinery would cost more than the INSERT itself (bench/activity.py).
INSERT = _insert("")
# The same, with parameter names that cannot clash with those of the statements it joins (`claim`).
JOINED = _insert("activity_")


def enabled() -> bool:
    return current_app.config["ACTIVITY_ENABLED"]


def clean(value, depth: int = 0):
    """The arguments as they may be kept: no `data`, no secrets, short storable strings, short lists."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return "…"
        return {storable(str(k), 64): clean(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS * 2]
                if not DROPPED.search(str(k))}
    if isinstance(value, (list, tuple)):
        return [clean(v, depth + 1) for v in value[:MAX_ITEMS]]
    if isinstance(value, str):
        return storable(value, MAX_STRING) + ("…" if len(value) > MAX_STRING else "")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return storable(str(value), MAX_STRING)


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


def storable(text: str, limit: int) -> str:
    """Text any database takes: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    return text[:limit].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def row_of(action, actor, raw: dict, surface: str | None, err=None) -> dict:
    """The row's values; `created_at` still a datetime (`Conn.time` puts it in storage form)."""
    kind, actor_id, name = who(actor)
    outcome, code = outcome_of(err)
    args = json.dumps(clean(raw if isinstance(raw, dict) else {}), default=str)
    if len(args) > MAX_JSON:
        args = json.dumps({"_truncated": True})
    endpoint = raw.get("endpoint") if isinstance(raw, dict) else None
    return {"account_id": actor.account_id, "owner": actor.account_id, "created_at": utcnow(), "actor_kind": kind,
            "actor_id": actor_id, "actor_name": storable(name, 200), "surface": surface_of(surface),
            "action": action.tool_name, "outcome": outcome, "error_code": code,
            "endpoint": storable(str(endpoint), 120) if endpoint else None,
            "arguments": args}


class Expected:
    """A write action's row-to-be, while the action runs (`g.minapi_activity`): a statement the
    action sends anyway may carry it (`claim`), which spares the row a round trip of its own."""

    __slots__ = ("action", "actor", "raw", "surface", "claimed")

    def __init__(self, action, actor, raw, surface):
        self.action, self.actor, self.raw, self.surface, self.claimed = action, actor, raw, surface, False


class _Outcome:
    """What `outcome_of` reads of an error, for a row claimed before its error is raised."""

    __slots__ = ("status", "code")

    def __init__(self, status: int, code: str):
        self.status, self.code = status, code


def expect(action, actor, raw: dict, surface: str | None) -> None:
    """Called by the runner before a write action runs."""
    g.minapi_activity = Expected(action, actor, raw, surface) if actor is not None and enabled() else None


def forget() -> None:
    """Called by the runner when the action is over, whatever came of it."""
    g.minapi_activity = None


def claim(status: int, code: str | None, conn: Conn) -> dict | None:
    """The running write action's row, for the caller to write with its own statements (`JOINED`,
    in the same transaction), given how the action will end: `status` and `code` are those of
    the error it will raise, or a status under 400 when it succeeds. Then the runner writes no
    row of its own for it. None when there is no row to claim (a read, the trail off, taken)."""
    expected = g.get("minapi_activity")
    if expected is None or expected.claimed:
        return None
    expected.claimed = True
    err = None if status < 400 else _Outcome(status, code or "error")
    row = row_of(expected.action, expected.actor, expected.raw, expected.surface, err)
    row["created_at"] = conn.time(row["created_at"])
    return {f"activity_{name}": value for name, value in row.items()}


def add(action, actor, raw: dict, surface: str | None, err=None) -> None:
    """Record a call that succeeded (or failed but keeps its changes): a write's row in the current
    transaction (the caller commits), unless a statement of the action's own carried it (`claim`);
    a read's through the trail."""
    if actor is None or not enabled():
        return
    expected = g.get("minapi_activity")
    if expected is not None and expected.claimed and expected.action is action:
        return
    row = row_of(action, actor, raw, surface, err)
    trail = current_app.extensions.get("minapi.trail")
    if action.kind == "read" and err is None and trail is not None:
        trail.put(row)
        return
    conn = Conn.of_session()
    conn.run(INSERT, {**row, "created_at": conn.time(row["created_at"])}).close()


def refused(action, actor, raw: dict, surface: str | None, err) -> None:
    """Record a refused or failed call (the caller rolled its own transaction back)."""
    if actor is None or not enabled():
        return
    try:
        row = row_of(action, actor, raw, surface, err)
        trail = current_app.extensions.get("minapi.trail")
        if trail is not None:
            trail.put(row)
            return
        conn = Conn.of_session()
        conn.run(INSERT, {**row, "created_at": conn.time(row["created_at"])}).close()
        db.session.commit()
    except Exception:  # the trail must never hide the caller's own error
        log.exception("could not record activity of %s", action.tool_name)
        db.session.rollback()


def flush() -> None:
    """Write this process's waiting rows now: before the trail is read, so it shows every call."""
    trail = current_app.extensions.get("minapi.trail")
    if trail is not None:
        trail.flush_or_log()  # a failure: kept for the trail's thread to try again; the caller's call goes on


class Trail(Deferred):
    """The rows of reads and refusals waiting to be written, and the thread that writes them
    (`app.deferred`: one transaction per batch, at most `FLUSH_SECONDS` after its first row),
    on SQLite inside the writer slot (`app.writer`) so it queues with the data plane's group
    commit instead of colliding with it. One per app and process."""

    FLUSH_SECONDS = 0.5  # at 50 ms, SQLite reads cost 6.5 % more (other connections' caches dropped)
    NAME = "activity rows"

    def describe(self, rows: list[dict]) -> str:
        return f"{len(rows)} activity rows: {sorted({row['action'] for row in rows})}"

    def write(self, rows: list[dict]) -> list:
        from app.writer import slot_for

        with self.app.app_context(), slot_for(self.app), db.engine.connect() as connection:
            pooled = connection.connection
            conn = Conn(pooled, pooled.driver_connection, connection.dialect.name, 0)
            cursor = conn.dbapi.cursor()
            try:
                cursor.executemany(INSERT.postgresql if conn.postgres else INSERT.sqlite,
                                   [{**row, "created_at": conn.time(row["created_at"])} for row in rows])
                conn.dbapi.commit()
            except Exception:
                conn.dbapi.rollback()
                raise
            finally:
                cursor.close()
        return []


def install(app) -> None:
    """Give the app its trail, unless its database is SQLite in memory (one per connection: a
    second connection would write somewhere else), where rows are written at once instead."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return
    app.extensions["minapi.trail"] = Trail(app)
