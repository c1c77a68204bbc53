"""Database foundations: the declarative base, column types, ids and engine tuning.

Every table gets constraint names from one naming convention, so migrations are
stable on SQLite and PostgreSQL alike. Datetimes are stored as UTC and always come
back timezone-aware.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id(prefix: str, length: int = 20) -> str:
    """A random public id such as `rec_3f9a…`; the prefix says what it names (80 random bits)."""
    return f"{prefix}_{secrets.token_hex(length // 2)}"


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC; refuses naive input so no local time slips in."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.db.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):
    """WAL lets readers run beside the one writer; foreign keys are off by default in SQLite."""
    module = type(dbapi_conn).__module__
    if not module.startswith(("sqlite3", "pysqlite")):
        return
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def insert_or_ignore(session, model, values: dict, keys: list[str]) -> bool:
    """`INSERT … ON CONFLICT (keys) DO NOTHING` on both engines; True when the row was added.

    Unlike catching an IntegrityError, losing a race this way does not abort the caller's
    PostgreSQL transaction, so it is safe inside a larger one (a gateway write, a job).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    statement = (insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
                 .returning(table.c[keys[0]]))  # psycopg reports no rowcount for an INSERT
    return session.execute(statement).first() is not None
