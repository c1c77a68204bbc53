"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector + GIN) behind one function.

Searchable tables keep their text in a `search_text` column written by the app. The
engine-specific index over it is created by the migrations: on PostgreSQL a generated
`search_vector` column with a GIN index (`ddl`); on SQLite an external-content FTS5 table.
Queries are plain words, all of which must match, on both engines. A page of the newest
matching rows is `newest_matching` (on SQLite the FTS5 table drives it, newest rowid first).

On SQLite the index is kept in step late, in bulk (`deferred_ddl`): a new or changed row
is only noted in `<table>_fts_pending`, and `catch_up` indexes the noted rows at once.
Indexing a row on its own costs more than its whole insert (FTS5 writes a new segment for
every transaction); in bulk it costs a few microseconds. Every search catches up first
(`matches`), so a search still sees every committed row; the data plane's group commit
catches up every few hundred calls or every second (`app.writer`), so a search seldom
waits. A row deleted before it was indexed is only struck from the pending list.
"""

from __future__ import annotations

import re

from sqlalchemy import Integer, Select, column, table, text
from sqlalchemy.sql import ColumnElement

from app.errors import ValidationFailed
from app.extensions import db

SEARCHABLE = ("records", "call_logs")
MAX_TERMS = 20


def terms(query: str) -> list[str]:
    words = re.findall(r"\w+", query or "", re.UNICODE)[:MAX_TERMS]
    if not words:
        raise ValidationFailed("Give at least one word to search for.", details={"q": ["no searchable words"]})
    return words


def matches(model, query: str) -> ColumnElement:
    """A WHERE clause keeping the rows of `model` (a SEARCHABLE table) whose text has every word.

    On SQLite the rows still waiting to be indexed are indexed first (`catch_up`)."""
    table = model.__tablename__
    words = terms(query)
    if db.session.get_bind().dialect.name == "postgresql":
        return text(f"{table}.search_vector @@ plainto_tsquery('simple', :fts_q)").bindparams(fts_q=" ".join(words))
    catch_up(table)
    return model.seq.in_(text(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :fts_q")
                         .bindparams(fts_q=fts_query(words)).columns(column("rowid", Integer)))


def fts_query(words: list[str]) -> str:
    """SQLite: the words as an FTS5 query, each a quoted string (no FTS5 syntax gets through)."""
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def newest_matching(stmt: Select, model, query: str, before: int | None = None) -> Select:
    """`stmt` (a SELECT of `model`, a SEARCHABLE table) kept to the rows whose text has every word,
    below sequence number `before` (a page cursor) if given, newest (highest `seq`) first.

    Use this rather than `matches` for a page of newest rows. On SQLite the FTS5 table drives
    the query, walking its matches from the highest rowid down, so a page stops once it has its
    rows; `seq IN (matches)` would first gather every match (most of a million rows for a common
    word) and, for records, sort them all."""
    if db.session.get_bind().dialect.name == "postgresql":
        return newest_first(stmt.where(matches(model, query)), model, before)
    name = model.__tablename__
    words = terms(query)
    catch_up(name)
    fts = table(f"{name}_fts", column("rowid", Integer))
    stmt = stmt.join(fts, fts.c.rowid == model.seq).where(
        text(f"{name}_fts MATCH :fts_q").bindparams(fts_q=fts_query(words)))
    if before is not None:  # on the FTS rowid, so FTS5 starts its walk there
        stmt = stmt.where(fts.c.rowid < before)
    return stmt.order_by(fts.c.rowid.desc())


def newest_first(stmt: Select, model, before: int | None = None) -> Select:
    """`stmt` newest (highest `seq`) first, below sequence number `before` (a page cursor) if given."""
    if before is not None:
        stmt = stmt.where(model.seq < before)
    return stmt.order_by(model.seq.desc())


def catch_up_sql(table: str) -> list[str]:
    """SQLite: index the rows noted in `<table>_fts_pending`, then clear the list. Run inside one
    write transaction, so nothing is noted in between."""
    return [f"INSERT INTO {table}_fts(rowid, search_text) SELECT t.seq, t.search_text"
            f" FROM {table}_fts_pending p JOIN {table} t ON t.seq = p.seq",
            f"DELETE FROM {table}_fts_pending"]


def catch_up(table: str) -> None:
    """SQLite: index `table`'s pending rows before a search reads the index.

    A session that already writes does it in its own transaction (it holds SQLite's write
    lock); otherwise it is done on a connection of its own in the writer slot and committed,
    so the search's next read sees it."""
    from flask import current_app

    from app.writer import slot_for

    conn = db.session.connection()
    if conn.exec_driver_sql(f"SELECT 1 FROM {table}_fts_pending LIMIT 1").first() is None:
        return
    if conn.connection.driver_connection.in_transaction:
        for statement in catch_up_sql(table):
            conn.exec_driver_sql(statement)
        return
    with slot_for(current_app):
        own = db.engine.raw_connection()
        try:
            cursor = own.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            for statement in catch_up_sql(table):
                cursor.execute(statement)
            own.commit()
        finally:
            own.close()  # back to the pool, rolled back if the commit was not reached


def searchable_text(value, limit: int = 20_000) -> str:
    """The words of a JSON value (strings, numbers; keys too), for the full-text index."""
    out: list[str] = []

    def walk(v):
        if isinstance(v, dict):
            for k, item in v.items():
                out.append(str(k))
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, str):
            out.append(v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(str(v))

    walk(value)
    return " ".join(out)[:limit]


def ddl(dialect: str, table: str) -> list[str]:
    """Statements creating the full-text index of `table` (used by migrations)."""
    if dialect == "postgresql":
        return [f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                f"(to_tsvector('simple', coalesce(search_text, ''))) STORED",
                f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)"]
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', content_rowid='seq')",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.seq, new.search_text); END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.seq, old.search_text); END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.seq, old.search_text); "
        f"INSERT INTO {fts}(rowid, search_text) VALUES (new.seq, new.search_text); END",
    ]


def deferred_ddl(table: str) -> list[str]:
    """SQLite: from triggers that index each row as it is written (`ddl`) to a pending list
    that `catch_up` indexes in bulk (migration 0009). The index must hold exactly the text of
    the rows not pending, so: a delete strikes an indexed row from the index and a pending one
    from the list; a change strikes the old text from the index and notes the row again."""
    fts, pending = f"{table}_fts", f"{table}_fts_pending"
    not_pending = f"NOT EXISTS (SELECT 1 FROM {pending} WHERE seq = old.seq)"
    return [f"DROP TRIGGER {table}_fts_{t}" for t in ("ai", "ad", "au")] + [
        f"CREATE TABLE {pending} (seq INTEGER PRIMARY KEY)",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {pending}(seq) VALUES (new.seq); END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) SELECT 'delete', old.seq, old.search_text WHERE {not_pending}; "
        f"DELETE FROM {pending} WHERE seq = old.seq; END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, search_text) SELECT 'delete', old.seq, old.search_text WHERE {not_pending}; "
        f"INSERT OR IGNORE INTO {pending}(seq) VALUES (new.seq); END",
    ]


def undeferred_ddl(table: str) -> list[str]:
    """SQLite: back to indexing each row as it is written (migration 0009's downgrade)."""
    return catch_up_sql(table) + [f"DROP TRIGGER {table}_fts_{t}" for t in ("ai", "ad", "au")] + \
        [f"DROP TABLE {table}_fts_pending"] + ddl("sqlite", table)[1:]


def drop_ddl(dialect: str, table: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS ix_{table}_search_vector",
                f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector"]
    return [f"DROP TRIGGER IF EXISTS {table}_fts_{t}" for t in ("ai", "ad", "au")] + \
        [f"DROP TABLE IF EXISTS {table}_fts"]


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: the engine-specific search objects live outside the models on purpose."""
    if type_ == "table" and any(name.startswith(f"{t}_fts") for t in SEARCHABLE):
        return False
    if type_ == "column" and name == "search_vector":
        return False
    if type_ == "index" and name and name.endswith("_search_vector"):
        return False
    return True
