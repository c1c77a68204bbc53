"""Full-text search on SQLite (FTS5) and PostgreSQL (tsvector + GIN) behind one function.

Searchable tables keep their text in a `search_text` column written by the app. The
engine-specific index over it is created by the migrations (`ddl`): on SQLite an
external-content FTS5 table kept in step by triggers, on PostgreSQL a generated
`search_vector` column with a GIN index. Queries are plain words, all of which must
match, on both engines.
"""

from __future__ import annotations

import re

from sqlalchemy import Integer, column, text
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
    """A WHERE clause keeping the rows of `model` (a SEARCHABLE table) whose text has every word."""
    table = model.__tablename__
    words = terms(query)
    if db.session.get_bind().dialect.name == "postgresql":
        return text(f"{table}.search_vector @@ plainto_tsquery('simple', :fts_q)").bindparams(fts_q=" ".join(words))
    fts_query = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    return model.seq.in_(text(f"SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH :fts_q")
                         .bindparams(fts_q=fts_query).columns(column("rowid", Integer)))


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
