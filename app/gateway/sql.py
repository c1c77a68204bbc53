"""The gateway's hot-path SQL: a few fixed statements, run straight on the DB-API cursor.

Each data-plane call runs the same five statements. Going through SQLAlchemy's execution
machinery costs more than the statement itself on SQLite, so these run on the raw cursor
of the session's connection, inside the session's transaction: the caller still commits
or rolls back once. Values are adapted here exactly as SQLAlchemy stores them (UTC naive
datetimes; JSON text), so the ORM reads these rows like any other.
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, datetime, timezone

from types import SimpleNamespace

from app.extensions import db

# -- raw statements ----------------------------------------------------------------------------

class Raw:
    """One SQL statement written with `:name` parameters, for SQLite and PostgreSQL."""

    def __init__(self, sql: str):
        self.sqlite = sql
        self.postgresql = re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)

    def run(self, params: dict):
        """Execute with `params` already in storage form (see `stored_time`, `stored_json`)."""
        connection = db.session.connection()
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute(self.postgresql if connection.dialect.name == "postgresql" else self.sqlite, params)
        return cursor


def stored_time(moment: datetime, dialect: str):
    """A UTC datetime as SQLAlchemy's DateTime stores it: naive; on SQLite, its text form."""
    naive = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return naive if dialect == "postgresql" else naive.isoformat(" ", "microseconds")


def stored_day(day: date, dialect: str):
    return day if dialect == "postgresql" else day.isoformat()


def stored_json(value) -> str | None:
    return None if value is None else json.dumps(value)


def dialect() -> str:
    return db.session.get_bind().dialect.name


RECORD_COLUMNS = ("id", "endpoint_id", "environment", "data", "search_text", "created_at", "updated_at")
LOG_COLUMNS = ("id", "account_id", "endpoint_id", "environment", "method", "action", "record_id", "key_id", "via",
               "status_code", "outcome", "error_code", "latency_ms", "payload", "query", "search_text",
               "webhook_status", "webhook_attempts", "created_at", "processed_at")


def _insert(table: str, columns: tuple) -> Raw:
    return Raw(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")


INSERT_RECORD = _insert("records", RECORD_COLUMNS)
INSERT_LOG = _insert("call_logs", LOG_COLUMNS)

ADD_DAILY = Raw(
    "INSERT INTO usage_daily (account_id, endpoint_id, environment, key_id, day, shard, calls, successes, failures,"
    " writes, write_latency_ms) VALUES (:account_id, :endpoint_id, :environment, :key_id, :day, :shard, 1, :ok,"
    " :failed, :write, :latency) ON CONFLICT (endpoint_id, environment, key_id, day, shard) DO UPDATE SET"
    " calls = usage_daily.calls + 1, successes = usage_daily.successes + excluded.successes,"
    " failures = usage_daily.failures + excluded.failures, writes = usage_daily.writes + excluded.writes,"
    " write_latency_ms = usage_daily.write_latency_ms + excluded.write_latency_ms")

ADD_CYCLE = Raw(
    "INSERT INTO usage_cycles (account_id, cycle_start, shard, calls, overage) VALUES (:account_id, :cycle_start,"
    " :shard, 1, :over) ON CONFLICT (account_id, cycle_start, shard) DO UPDATE SET"
    " calls = usage_cycles.calls + 1, overage = usage_cycles.overage + excluded.overage")



def _cte(*statements: str) -> str:
    """PostgreSQL: several writes in one statement (one round trip), as data-modifying CTEs."""
    parts = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(statements))
    return f"WITH {parts} SELECT 1"


# On PostgreSQL a call's log and counters go in one round trip; SQLite (in-process) runs them apart.
LOG_AND_DAILY_PG = Raw(_cte(INSERT_LOG.sqlite, ADD_DAILY.sqlite))
LOG_DAILY_AND_CYCLE_PG = Raw(_cte(INSERT_LOG.sqlite, ADD_DAILY.sqlite, ADD_CYCLE.sqlite))

CYCLE_CALLS = Raw("SELECT COALESCE(SUM(calls), 0) FROM usage_cycles WHERE account_id = :account_id"
                  " AND cycle_start = :cycle_start")

SHARDS = 32
_next_shard = []


def shard() -> int:
    """This connection's counter shard: distinct for the connections of one process, spread across
    processes by a random start, so concurrent transactions rarely write the same counter row."""
    info = db.session.connection().connection.info
    if "minapi_shard" not in info:
        if not _next_shard:
            _next_shard.append(random.randrange(SHARDS))
        info["minapi_shard"] = _next_shard[0] % SHARDS
        _next_shard[0] += 1
    return info["minapi_shard"]


KEY_FIELDS = ("id", "endpoint_id", "active", "can_create", "can_read", "can_update", "can_delete")
ENDPOINT_FIELDS = ("id", "account_id", "slug", "active", "version", "sandbox_succeeded", "sandbox_config",
                   "production_config")
ACCOUNT_FIELDS = ("id", "plan", "cycle_started_at", "created_at")
_SELECT = ", ".join([f"k.{c}" for c in KEY_FIELDS] + [f"e.{c}" for c in ENDPOINT_FIELDS]
                    + [f"a.{c}" for c in ACCOUNT_FIELDS])
_FROM = " FROM endpoint_keys k JOIN endpoints e ON e.id = k.endpoint_id JOIN accounts a ON a.id = e.account_id"
KEY_BY_HASH = {"sandbox": Raw(f"SELECT {_SELECT}{_FROM} WHERE k.test_hash = :h"),
               "production": Raw(f"SELECT {_SELECT}{_FROM} WHERE k.live_hash = :h")}


def find_key(digest: str, environment: str):
    """(key, endpoint, account) as light records with the ORM's attribute names, or None."""
    row = KEY_BY_HASH[environment].run({"h": digest}).fetchone()
    if row is None:
        return None
    k, e = len(KEY_FIELDS), len(KEY_FIELDS) + len(ENDPOINT_FIELDS)
    key = SimpleNamespace(**dict(zip(KEY_FIELDS, row[:k])))
    endpoint = SimpleNamespace(**dict(zip(ENDPOINT_FIELDS, row[k:e])))
    account = SimpleNamespace(**dict(zip(ACCOUNT_FIELDS, row[e:])))
    for obj, names in ((key, ("active", "can_create", "can_read", "can_update", "can_delete")),
                       (endpoint, ("active", "sandbox_succeeded"))):
        for name in names:
            setattr(obj, name, bool(getattr(obj, name)))
    for name in ("sandbox_config", "production_config"):
        value = getattr(endpoint, name)
        setattr(endpoint, name, json.loads(value) if isinstance(value, str) else value)
    for name in ("cycle_started_at", "created_at"):
        setattr(account, name, read_datetime(getattr(account, name)))
    return key, endpoint, account


def read_datetime(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)
