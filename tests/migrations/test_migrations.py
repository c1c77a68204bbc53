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
