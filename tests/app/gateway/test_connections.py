"""Each serving thread keeps one connection (the data plane's calls, and the small reads of every
request: credentials, AI controls, quota headroom): one the server dropped is replaced."""

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ON_POSTGRES, PG_URL, mcp_key
from tests.gateway_helpers import make_owner
from tests.hostile import mcp_post, tool_call
from tests.live import LiveServer, rpc
from tests.receivers import wait_until

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (MINAPI_TEST_DATABASE_URL): dropping "
                                                            "a server connection; an SQLite connection cannot be dropped")


def drop_every_connection() -> None:
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as conn:  # as a server restart would: every other session of the database ends
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert dropped >= 1


@needs_postgres
def test_a_connection_the_server_dropped_is_replaced_without_failing_the_call(client):
    ep = make_owner(client).create_endpoint()
    rid = ep.call("POST", json={"item": "before"}).json["id"]  # this thread's connection is now open
    drop_every_connection()
    resp = ep.call("GET", f"/{rid}")
    assert resp.status_code == 200 and resp.json["data"] == {"item": "before"}
    assert ep.call("POST", json={"item": "after"}).status_code == 201


@needs_postgres
def test_an_mcp_call_after_the_server_dropped_the_connections_is_answered(app, client):
    key = mcp_key(app)
    def call():
        resp = mcp_post(client, key, tool_call("help", {}))
        assert resp.status_code == 200, resp.text
        result = resp.json["result"]
        assert result["isError"] is False and result["_meta"]["minapi/quota"]["limit"] > 0
        return result

    call()  # the key, the AI controls and the headroom are read on this thread's own connection
    drop_every_connection()
    call()


@needs_postgres
def test_a_server_with_a_thread_per_request_leaves_no_connection_behind(app):
    key = mcp_key(app)
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))

    def sessions() -> int:
        with admin.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")).scalar()

    before = sessions()
    with LiveServer(app) as server:  # werkzeug's threaded server: a new thread for every request
        for _ in range(30):
            resp = rpc(server.url, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, key)
            assert resp.status_code == 200
        wait_until(lambda: sessions() <= before + 10, timeout=10, message="the request threads' connections to close")
    admin.dispose()
