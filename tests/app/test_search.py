"""Full-text search stays exact while rows are added, changed and deleted, indexed or not yet.

On SQLite new and changed rows wait in a pending list until a search (or the data plane's
group commit) indexes them in bulk; these tests drive records and call logs through HTTP and
MCP in every order of "written, indexed, changed, deleted" and check that searches answer
exactly the live rows, and that the FTS5 index agrees row for row with its tables.
"""

import pytest
from sqlalchemy import text

from app import writer
from app.extensions import db
from app.search import SEARCHABLE, catch_up_sql
from tests.conftest import ON_POSTGRES
from tests.gateway_helpers import make_owner


@pytest.fixture
def ep(client):
    return make_owner(client).create_endpoint()


def found(ep, q):
    resp = ep.call("GET", "/search", query_string={"q": q, "limit": 30})
    assert resp.status_code == 200, resp.json
    return sorted(r["id"] for r in resp.json["data"])


def assert_index_matches_tables(app):
    """SQLite: FTS5's own check that each index, once its pending rows are indexed (as a search
    would), holds exactly its table's text, row for row; rolled back after."""
    if ON_POSTGRES:
        return
    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            for table in SEARCHABLE:
                for statement in catch_up_sql(table):
                    cur.execute(statement)
                cur.execute(f"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('integrity-check', 1)")
            conn.rollback()
        finally:
            conn.close()


def test_search_sees_every_change_in_every_order(app, ep):
    # Written and searched at once (pending on SQLite), then changed and deleted while indexed.
    a = ep.call("POST", json={"item": "amber apple"}).json["id"]
    b = ep.call("POST", json={"item": "amber banana"}).json["id"]
    assert found(ep, "amber") == sorted([a, b])
    ep.call("PUT", f"/{a}", json={"item": "cobalt apple"})          # indexed, then changed
    ep.call("DELETE", f"/{b}")                                      # indexed, then deleted
    # Written, then changed or deleted before any search indexed them.
    c = ep.call("POST", json={"item": "amber cherry"}).json["id"]
    d = ep.call("POST", json={"item": "amber date"}).json["id"]
    e = ep.call("POST", json={"item": "amber elder"}).json["id"]
    ep.call("PUT", f"/{c}", json={"item": "cobalt cherry"})         # pending, then changed
    ep.call("DELETE", f"/{d}")                                      # pending, then deleted
    ep.call("PUT", f"/{e}", json={"item": "cobalt elder"})          # pending, changed, then deleted
    ep.call("DELETE", f"/{e}")
    assert found(ep, "amber") == []
    assert found(ep, "cobalt") == sorted([a, c])
    assert found(ep, "apple") == [a] and found(ep, "banana") == [] and found(ep, "date") == []
    ep.call("PUT", f"/{a}", json={"item": "amber apple"})           # indexed, changed back
    ep.call("PUT", f"/{c}", json={"item": "dusk cherry"})
    ep.call("DELETE", f"/{c}")                                      # changed (pending again), deleted
    assert found(ep, "amber") == [a] and found(ep, "cobalt") == [] and found(ep, "cherry") == []
    assert_index_matches_tables(app)


def test_call_logs_are_searchable_at_once(app, ep):
    ep.call("POST", json={"item": "walnut"})
    ep.call("POST", json={"item": 5})  # refused: logged with its error code
    walnut = ep.owner.api("GET", "/api/v1/logs", query_string={"query": "walnut"}).json["logs"]
    assert [(log["method"], log["status_code"]) for log in walnut] == [("POST", 201)]
    failed = ep.owner.api("GET", "/api/v1/logs", query_string={"query": "validation_failed"}).json["logs"]
    assert [log["status_code"] for log in failed] == [400]
    assert_index_matches_tables(app)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite only: PostgreSQL's GIN index keeps its own pending list")
def test_group_commit_indexes_the_pending_rows_as_it_goes(app, ep, monkeypatch):
    monkeypatch.setattr(writer, "CATCH_UP_CALLS", 5)
    for i in range(12):
        assert ep.call("POST", json={"item": f"pecan {i}"}).status_code == 201
    with app.app_context():
        pending = db.session.execute(text("SELECT COUNT(*) FROM records_fts_pending")).scalar()
    assert pending < 5  # caught up after the 5th and 10th call, not left for a search
    assert len(found(ep, "pecan")) == 12
