"""The gateway's hot-path SQL: a few fixed statements, run straight on the DB-API connection.

Going through SQLAlchemy's execution machinery costs more than the statements themselves
on SQLite, so a call takes a DB-API connection once (`Conn`) and runs these on it, and the
caller commits or rolls back once. Values are adapted here
exactly as SQLAlchemy stores them (UTC naive datetimes; JSON text), so the ORM reads these
rows like any other.

All statements of one call share one parameter dict, so a call's writes can be sent as a
single statement on PostgreSQL (`batch`: data-modifying CTEs, one round trip).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import re
import threading
import weakref
from datetime import date, datetime, timezone
from types import SimpleNamespace

from flask import current_app, has_app_context
from sqlalchemy import event

from app.extensions import db


class Raw:
    """One SQL statement written with `:name` parameters, for SQLite and PostgreSQL."""

    def __init__(self, sql: str):
        self.sqlite = sql
        self.postgresql = re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)


class Conn:
    """A call's database handle: a DB-API connection, its dialect and counter shard.

    `of_session()` joins the session's transaction (the api_call tools: their adapter commits).
    The HTTP edge uses `ThreadConnections`: each serving thread keeps one connection of its own
    between calls, out of the pool, in autocommit mode.
    """

    __slots__ = ("dbapi", "postgres", "shard", "pooled", "pid")

    def __init__(self, pooled, dbapi, dialect: str, shard: int):
        self.pooled = pooled  # SQLAlchemy's pooled (or detached) connection, which owns `dbapi`
        self.dbapi = dbapi
        self.postgres = dialect == "postgresql"
        self.shard = shard
        self.pid = os.getpid()

    @classmethod
    def of_session(cls) -> Conn:
        connection = db.session.connection()
        pooled = connection.connection
        return cls(pooled, pooled.driver_connection, connection.dialect.name, _shard(pooled.info))

    def run(self, raw: Raw, params: dict):
        """Execute with `params` already in storage form (see `time`, `day`, `stored_json`)."""
        cursor = self.dbapi.cursor()
        cursor.execute(raw.postgresql if self.postgres else raw.sqlite, params)
        return cursor

    def one(self, raw: Raw, params: dict):
        """The first row of a read, or None; the statement is finished at once (an open SQLite
        statement would keep its read snapshot, and with it the WAL, from moving on)."""
        cursor = self.run(raw, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    def commit(self) -> None:
        if not getattr(self.dbapi, "autocommit", False):
            self.dbapi.commit()

    def write(self, writes: Writes) -> None:
        """A call's writes: one statement on PostgreSQL (one round trip, atomic on its own), one after
        another on SQLite (in-process)."""
        if self.postgres and len(writes.statements) > 1:
            self.run(batch(tuple(writes.statements)), writes.params)
            return
        for raw in writes.statements:
            self.run(raw, writes.params)

    def time(self, moment: datetime):
        """A UTC datetime as SQLAlchemy's DateTime stores it: naive; on SQLite, its text form."""
        naive = moment.astimezone(timezone.utc).replace(tzinfo=None)
        return naive if self.postgres else naive.isoformat(" ", "microseconds")

    def day(self, day: date):
        return day if self.postgres else day.isoformat()


class Writes:
    """The statements a call will write and their shared parameters, gathered while it is decided."""

    __slots__ = ("statements", "params")

    def __init__(self):
        self.statements: list[Raw] = []
        self.params: dict = {}

    def add(self, raw: Raw, **params) -> None:
        self.statements.append(raw)
        self.params.update(params)


class ThreadConnections:
    """The HTTP edge's connections: one per serving thread, kept between calls, in autocommit mode.

    A call needs no transaction for its reads, and its writes are one statement on PostgreSQL
    (atomic on its own) and go through the group commit on SQLite, so a thread's connection can
    stay checked out: no pool checkout, ping, BEGIN or COMMIT per call. A connection found broken
    is replaced; one whose thread ends is closed (a server that starts a thread per request
    opens one per request, and leaves none behind); disposing of the engine (a forked worker,
    the end of a test) closes them all.
    """

    def __init__(self, engine):
        self.engine = engine
        self.local = threading.local()
        self.opened: weakref.WeakSet = weakref.WeakSet()  # every thread's `_Kept`, to close them on dispose
        self.lock = threading.Lock()
        event.listen(engine, "engine_disposed", self._forget)

    def get(self) -> Conn:
        kept = getattr(self.local, "kept", None)
        if kept is None or kept.conn.pid != os.getpid() or broken(kept.conn.dbapi):
            kept = self.local.kept = self._open()
        return kept.conn

    def _open(self) -> _Kept:
        pooled = self.engine.raw_connection()
        dbapi = pooled.driver_connection
        pooled.detach()  # ours for the thread's life, not the pool's
        if self.engine.dialect.name == "postgresql":
            dbapi.autocommit = True
        with self.lock:
            kept = _Kept(Conn(pooled, dbapi, self.engine.dialect.name, _shard({})))
            self.opened.add(kept)
        return kept

    def _forget(self, *_):
        with self.lock:
            opened, self.opened = list(self.opened), weakref.WeakSet()
        self.local = threading.local()
        for kept in opened:
            kept.close()


class _Kept:
    """A serving thread's connection, closed when the thread ends (its thread-local value goes)."""

    __slots__ = ("conn", "close", "__weakref__")

    def __init__(self, conn: Conn):
        self.conn = conn
        self.close = weakref.finalize(self, _close, conn.dbapi, conn.pid)


def _close(dbapi, pid: int) -> None:
    if pid == os.getpid():  # a forked worker leaves its parent's alone
        with contextlib.suppress(Exception):
            dbapi.close()


_serving = threading.local()


def serving_thread() -> None:
    """Note that the calling thread serves HTTP requests (the app's WSGI entry calls it on each
    one). Only such a thread keeps a connection of its own (`read_one`); anyio's worker threads,
    jobs and the CLI use the session's, from the pool."""
    _serving.yes = True


def read_one(raw: Raw, params: dict):
    """The first row of a small read outside any transaction of the caller's (a credential, the
    AI controls, the quota headroom): on a serving thread, on its own autocommit connection, so a
    request that writes nothing makes no pool checkout, ping, BEGIN or COMMIT; elsewhere, in the
    session's transaction. A kept connection the server has dropped is replaced, once."""
    if not (getattr(_serving, "yes", False) and has_app_context()):
        return Conn.of_session().one(raw, params)
    connections = current_app.extensions["minapi.data_connections"]
    conn = connections.get()
    try:
        return conn.one(raw, params)
    except Exception:
        if not broken(conn.dbapi):
            raise
    return connections.get().one(raw, params)


def broken(dbapi) -> bool:
    """Whether the driver knows this connection is unusable (psycopg: closed or broken)."""
    return bool(getattr(dbapi, "closed", False) or getattr(dbapi, "broken", False))


def stored_json(value) -> str | None:
    return None if value is None else json.dumps(value)


_batches: dict[tuple, Raw] = {}


def batch(statements: tuple[Raw, ...]) -> Raw:
    """PostgreSQL: several writes as one statement of data-modifying CTEs (built once per combination)."""
    found = _batches.get(statements)
    if found is None:
        parts = ", ".join(f"w{i} AS ({raw.sqlite})" for i, raw in enumerate(statements))
        found = _batches[statements] = Raw(f"WITH {parts} SELECT 1")
    return found


# -- counter shards ----------------------------------------------------------------------------

SHARDS = 32
_next_shard: list[int] = []


def _shard(info: dict) -> int:
    """A connection's counter shard: distinct for the connections of one process, spread across
    processes by a random start, so concurrent transactions rarely write the same counter row."""
    if "minapi_shard" not in info:
        if not _next_shard:
            _next_shard.append(random.randrange(SHARDS))
        info["minapi_shard"] = _next_shard[0] % SHARDS
        _next_shard[0] += 1
    return info["minapi_shard"]


# -- writes: a call's statements share one parameter dict (`Writes`); `now`, `account_id`,
# `endpoint_id`, `environment` and `key_id` are the call's own -----------------------------

INSERT_RECORD = Raw(
    "INSERT INTO records (id, endpoint_id, environment, data, search_text, created_at, updated_at)"
    " VALUES (:record_id, :endpoint_id, :environment, :record_data, :record_text, :now, :now)")
REPLACE_RECORD = Raw("UPDATE records SET data = :record_data, search_text = :record_text, updated_at = :now"
                     " WHERE seq = :record_seq")
DELETE_RECORD = Raw("DELETE FROM records WHERE seq = :record_seq")

INSERT_LOG = Raw(
    "INSERT INTO call_logs (id, account_id, endpoint_id, environment, method, action, record_id, key_id, via,"
    " status_code, outcome, error_code, error, latency_ms, payload, query, search_text, webhook_status,"
    " webhook_attempts, created_at, processed_at) VALUES (:log_id, :account_id, :endpoint_id, :environment,"
    " :method, :action, :record_id, :key_id, :via, :status_code, :outcome, :error_code, :error, :latency_ms,"
    " :payload,"
    " :query, :log_text, :webhook_status, 0, :now, :now)")

ADD_DAILY = Raw(
    "INSERT INTO usage_daily (account_id, endpoint_id, environment, key_id, day, shard, calls, successes, failures,"
    " writes, write_latency_ms) VALUES (:account_id, :endpoint_id, :environment, :key_id, :day, :shard, 1, :ok,"
    " :failed, :write, :write_latency) ON CONFLICT (endpoint_id, environment, key_id, day, shard) DO UPDATE SET"
    " calls = usage_daily.calls + 1, successes = usage_daily.successes + excluded.successes,"
    " failures = usage_daily.failures + excluded.failures, writes = usage_daily.writes + excluded.writes,"
    " write_latency_ms = usage_daily.write_latency_ms + excluded.write_latency_ms")

ADD_CYCLE = Raw(
    "INSERT INTO usage_cycles (account_id, cycle_start, shard, calls, overage) VALUES (:account_id, :cycle_start,"
    " :shard, 1, :over) ON CONFLICT (account_id, cycle_start, shard) DO UPDATE SET"
    " calls = usage_cycles.calls + 1, overage = usage_cycles.overage + excluded.overage")

INSERT_WEBHOOK_JOB = Raw(
    "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at)"
    " VALUES ('webhook.deliver', :job_payload, 'pending', 0, :job_attempts, :now, :now)")

MARK_SANDBOX_SUCCEEDED = Raw("UPDATE endpoints SET sandbox_succeeded = :yes WHERE id = :endpoint_id")

# -- reads ---------------------------------------------------------------------------------------

CYCLE_CALLS = Raw("SELECT COALESCE(SUM(calls), 0) FROM usage_cycles WHERE account_id = :account_id"
                  " AND cycle_start = :cycle_start")

ENDPOINT_BY_SLUG = Raw("SELECT id FROM endpoints WHERE slug = :slug")

RECORD_FIELDS = ("seq", "id", "endpoint_id", "environment", "data", "created_at", "updated_at")
# By id alone, its unique index: with the endpoint and environment in the WHERE clause too,
# PostgreSQL's generic plan for the prepared statement scans the endpoint's whole index instead.
RECORD_BY_ID = Raw(f"SELECT {', '.join(RECORD_FIELDS)} FROM records WHERE id = :record_id")

KEY_FIELDS = ("id", "endpoint_id", "active", "can_create", "can_read", "can_update", "can_delete")
ENDPOINT_FIELDS = ("id", "account_id", "slug", "active", "version", "sandbox_succeeded")
ACCOUNT_FIELDS = ("id", "plan", "cycle_started_at", "created_at")
_SELECT = ", ".join([f"k.{c}" for c in KEY_FIELDS] + [f"e.{c}" for c in ENDPOINT_FIELDS]
                    + [f"a.{c}" for c in ACCOUNT_FIELDS])
_FROM = " FROM endpoint_keys k JOIN endpoints e ON e.id = k.endpoint_id JOIN accounts a ON a.id = e.account_id"
# Only the presented key's environment's configuration, as text (parsed once per distinct value),
# and the plan's calls so far in the cycle `:cycle_start` (the one this key was last charged in,
# or NULL): when that is still the current cycle, the quota needs no read of its own.
_CYCLE_CALLS = ("(SELECT COALESCE(SUM(u.calls), 0) FROM usage_cycles u WHERE u.account_id = e.account_id"
                " AND u.cycle_start = :cycle_start)")
_CONFIG = {"sandbox": "e.sandbox_config", "production": "e.production_config"}
_HASH = {"sandbox": "k.test_hash", "production": "k.live_hash"}
# A call naming a record (GET one, PUT, DELETE) reads it in the same statement, by its id alone
# (see RECORD_BY_ID): one round trip fewer. It is used only once the call has been admitted.
_RECORD_COLUMNS = "".join(f", r.{c}" for c in RECORD_FIELDS)
_RECORD_JOIN = " LEFT JOIN records r ON r.id = :record_id"
KEY_BY_HASH = {(env, with_record): Raw(f"SELECT {_SELECT}, CAST({_CONFIG[env]} AS TEXT), {_CYCLE_CALLS}"
                                       f"{_RECORD_COLUMNS if with_record else ''}{_FROM}"
                                       f"{_RECORD_JOIN if with_record else ''} WHERE {_HASH[env]} = :h")
               for env in _CONFIG for with_record in (False, True)}


def find_key(conn: Conn, digest: str, environment: str, cycle_start=None, record_id: str | None = None):
    """(key, endpoint, account, record) as light records with the ORM's attribute names, or None.

    The endpoint carries only the configuration of `environment` (the other one is None); the
    account carries `cycle_calls`: (`cycle_start`, the plan's calls counted in that cycle), for
    `usage.check_quota` (`cycle_start` in storage form, see `Conn.time`). With `record_id`, the
    record is that record of this endpoint and environment (None when there is none, as with
    `find_record`); without, it is None.
    """
    row = conn.one(KEY_BY_HASH[(environment, record_id is not None)],
                   {"h": digest, "cycle_start": cycle_start, "record_id": record_id})
    if row is None:
        return None
    k = len(KEY_FIELDS)
    e = k + len(ENDPOINT_FIELDS)
    a = e + len(ACCOUNT_FIELDS)
    key = SimpleNamespace(**dict(zip(KEY_FIELDS, row[:k])))
    endpoint = SimpleNamespace(**dict(zip(ENDPOINT_FIELDS, row[k:e])), sandbox_config=None,
                               production_config=None)
    account = SimpleNamespace(**dict(zip(ACCOUNT_FIELDS, row[e:a])))
    for obj, names in ((key, ("active", "can_create", "can_read", "can_update", "can_delete")),
                       (endpoint, ("active", "sandbox_succeeded"))):
        for name in names:
            setattr(obj, name, bool(getattr(obj, name)))
    setattr(endpoint, f"{environment}_config", parsed_config(row[a]))
    account.cycle_started_at = read_datetime(account.cycle_started_at)
    account.created_at = read_datetime(account.created_at)
    account.cycle_calls = (cycle_start, row[a + 1])
    record = None if record_id is None else record_of(row[a + 2:], endpoint.id, environment)
    return key, endpoint, account, record


@functools.lru_cache(maxsize=4096)
def parsed_config(text: str | None) -> dict | None:
    """An endpoint configuration from its JSON text. Shared between calls: read it, never change it."""
    return None if text is None else json.loads(text)


def find_record(conn: Conn, endpoint_id: str, environment: str, record_id: str):
    """One record as a light object (seq, id, environment, data, created_at, updated_at), or None."""
    return record_of(conn.one(RECORD_BY_ID, {"record_id": record_id}), endpoint_id, environment)


def record_of(row, endpoint_id: str, environment: str):
    """The record read as RECORD_FIELDS, or None when there is none (a row of NULLs, from a join)
    or it belongs to another endpoint or environment."""
    if row is None or row[0] is None:
        return None
    rec = SimpleNamespace(**dict(zip(RECORD_FIELDS, row)))
    if (rec.endpoint_id, rec.environment) != (endpoint_id, environment):
        return None
    rec.data = read_json(rec.data)
    rec.created_at, rec.updated_at = read_datetime(rec.created_at), read_datetime(rec.updated_at)
    return rec


def read_json(value):
    return json.loads(value) if isinstance(value, str) else value


def read_datetime(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)
