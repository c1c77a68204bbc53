"""The data plane keeps one connection per serving thread: one the server dropped is replaced."""

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ON_POSTGRES, PG_URL
from tests.gateway_helpers import make_owner


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (MINAPI_TEST_DATABASE_URL): dropping a "
                                             "server connection; an SQLite connection cannot be dropped")
def test_a_connection_the_server_dropped_is_replaced_without_failing_the_call(client):
    ep = make_owner(client).create_endpoint()
    rid = ep.call("POST", json={"item": "before"}).json["id"]  # this thread's connection is now open
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as conn:  # as a server restart would: every other session of the database ends
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert dropped >= 1
    resp = ep.call("GET", f"/{rid}")
    assert resp.status_code == 200 and resp.json["data"] == {"item": "before"}
    assert ep.call("POST", json={"item": "after"}).status_code == 201
