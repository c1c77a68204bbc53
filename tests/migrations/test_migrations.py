"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db
from app.search import include_object
from tests.conftest import ON_POSTGRES, PG_URL, base_config


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    name = f"minapi_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_creates_exactly_the_models(tmp_path, empty_database_url):
    app = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == []
        tables = set(inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path, empty_database_url):
    app = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "accounts" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_downgrading_the_counter_shards_keeps_every_count(tmp_path, empty_database_url):
    app = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO accounts (id, email, display_name, password_hash, plan, is_admin, created_at)"
                              " VALUES ('acc_1', 'a@b.c', 'a', 'x', 'free', false, CURRENT_TIMESTAMP)"))
            for shard, calls in ((0, 3), (5, 4), (9, 1)):
                conn.execute(text("INSERT INTO usage_daily (account_id, endpoint_id, environment, key_id, day, shard,"
                                  " calls, successes, failures, writes, write_latency_ms) VALUES ('acc_1', 'ep_1',"
                                  " 'sandbox', 'key_1', '2026-11-01', :s, :c, :c, 0, 0, 0)"), {"s": shard, "c": calls})
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT calls, successes FROM usage_daily")).all()
        assert [tuple(r) for r in rows] == [(8, 8)]
        db.engine.dispose()


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: 0009 leaves PostgreSQL's index as it is")
def test_deferred_search_index_up_and_down_keeps_every_row_searchable(tmp_path, empty_database_url):
    app = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with app.app_context():
        upgrade(revision="0008")
        run(["early apple", "early pear"])  # rows 1, 2: indexed as written (0008's triggers)
        upgrade()
        run(["late apple"], "UPDATE records SET search_text = 'changed pear' WHERE seq = 2")  # noted, not indexed
        assert run([], "SELECT seq FROM records_fts_pending") == [2, 3]
        downgrade(revision="0008")  # indexes what was pending, then indexes as written again
        run(["fresh apple"])
        assert run([], APPLE) == [1, 3, 4] and run([], PEAR) == [2] and run([], EARLY) == [1]
        run([], "INSERT INTO records_fts(records_fts, rank) VALUES ('integrity-check', 1)")
        db.engine.dispose()


APPLE, PEAR, EARLY = (f"SELECT rowid FROM records_fts WHERE records_fts MATCH '{w}' ORDER BY rowid"
                      for w in ("apple", "pear", "early"))


def run(new_records: list[str], statement: str | None = None) -> list:
    """Add records with these words (no endpoint: foreign keys off), then run `statement`; its rows."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        for words in new_records:
            cur.execute("INSERT INTO records (id, endpoint_id, environment, data, search_text, created_at, updated_at)"
                        " VALUES (lower(hex(randomblob(8))), 'ep_1', 'sandbox', '{}', ?, CURRENT_TIMESTAMP,"
                        " CURRENT_TIMESTAMP)", (words,))
        rows = [r[0] for r in cur.execute(statement).fetchall()] if statement else []
        raw.commit()
        cur.execute("PRAGMA foreign_keys=ON")
        return rows
    finally:
        raw.close()
