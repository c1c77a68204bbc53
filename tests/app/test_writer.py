"""SQLite's writer (`app.writer`): the data plane's checkpoint thread.

The group commit's own connection never checkpoints (SQLite would do it inside a commit, with
the writer slot held); a thread beside it copies the WAL into the database file instead. What
that copy puts in the database file is read here with SQLite's `immutable` flag, which ignores
the WAL: records posted through HTTP must reach the file itself, without any other write.
"""

import sqlite3
import time

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES
from tests.gateway_helpers import make_owner

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: PostgreSQL has no WAL file of ours")


def ids_in_database_file(path: str) -> set[str]:
    """The record ids in the database file alone, as if there were no WAL."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM records")}
    except sqlite3.DatabaseError:  # caught mid-copy: a page half written; read again
        return set()
    finally:
        conn.close()


def test_records_reach_the_database_file_without_waiting_for_a_full_wal(app, client):
    ep = make_owner(client).create_endpoint()
    ids = {ep.call("POST", json={"item": f"n{i}"}).json["id"] for i in range(5)}
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    deadline = time.monotonic() + 5
    while not ids <= ids_in_database_file(path):
        # SQLite alone would leave these few pages in the WAL until it held 1000.
        assert time.monotonic() < deadline, "the posted records never left the WAL"
        time.sleep(0.05)
    listed = ep.call("GET", "", query_string={"limit": 30})
    assert listed.status_code == 200 and {r["id"] for r in listed.json["data"]} == ids
