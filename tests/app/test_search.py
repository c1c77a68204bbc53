"""Full-text search stays exact while rows are added, changed and deleted, indexed or not yet.

On SQLite new and changed rows wait in a pending list until a search (or the data plane's
group commit) indexes them in bulk; these tests drive records and call logs through HTTP and
MCP in every order of "written, indexed, changed, deleted" and check that searches answer
exactly the live rows, and that the FTS5 index agrees row for row with its tables.
"""

import json
from datetime import datetime, timezone

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


def pages(get, items_key, limit=4):
    """Every page of a search, following next_cursor: the ids, in the order they came."""
    ids, cursor = [], None
    while True:
        body = get({"limit": limit, **({"cursor": cursor} if cursor else {})})
        ids += [row["id"] for row in body[items_key]]
        cursor = body["next_cursor"]
        assert body["has_more"] == (cursor is not None)
        if cursor is None:
            return ids


def test_search_pages_are_newest_first_with_no_gap_or_repeat(ep):
    # Matches among non-matches, paged through in small pages on the data plane and in logs_search.
    made = [ep.call("POST", json={"item": f"{'saffron' if i % 3 else 'plain'} {i}"}).json["id"] for i in range(14)]
    saffron = [rec for i, rec in enumerate(made) if i % 3][::-1]  # newest first

    def data_page(params):
        resp = ep.call("GET", "/search", query_string={"q": "saffron", **params})
        assert resp.status_code == 200, resp.json
        return resp.json

    def logs_page(params):
        resp = ep.owner.api("GET", "/api/v1/logs", query_string={"query": "saffron", **params})
        assert resp.status_code == 200, resp.json
        return resp.json

    assert pages(data_page, "data") == saffron
    logs = ep.owner.api("GET", "/api/v1/logs", query_string={"query": "saffron", "limit": 100}).json["logs"]
    assert [log["record_id"] for log in logs] == saffron
    assert pages(logs_page, "logs") == [log["id"] for log in logs]


def plan_of(app, send, marker):
    """SQLite's plan for the last statement containing `marker` that `send()` (an HTTP call) ran."""
    from sqlalchemy import event

    seen = []

    def note(conn, cursor, statement, params, context, executemany):
        if marker in statement:
            seen.append((statement, params))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            resp = send()
            assert resp.status_code == 200, resp.json
            statement, params = seen[-1]
            return resp, [row[3] for row in db.session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, params)]
        finally:
            event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plan: PostgreSQL plans with its statistics")
@pytest.mark.parametrize("path, items", [("data", "data"), ("logs", "logs")])
def test_sqlite_search_walks_the_index_newest_first(app, ep, path, items):
    # A page of a common word must not gather and sort every match first (issue 15: 0.8 s at a
    # million records): the FTS5 table drives the query, newest rowid first, with no sort step.
    for i in range(3):
        ep.call("POST", json={"item": f"juniper {i}"})
    if path == "data":
        resp, plan = plan_of(app, lambda: ep.call("GET", "/search", query_string={"q": "juniper", "limit": 2}),
                             "_fts MATCH")
    else:
        resp, plan = plan_of(app, lambda: ep.owner.api("GET", "/api/v1/logs",
                                                       query_string={"query": "juniper", "limit": 2}), "_fts MATCH")
    assert len(resp.json[items]) == 2
    assert plan[0].startswith("SCAN") and "_fts VIRTUAL TABLE" in plan[0], plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


def test_failed_calls_page_newest_first_with_words_and_dates(ep):
    # status=failed with and without a word and a date range, paged (migration 0016's index).
    for i in range(9):
        ep.call("POST", json={"item": f"thistle {i}", "qty": "many" if i % 2 else i})  # odd ones fail
    ep.call("POST", json={"qty": "none"})  # failed, without the word
    today = datetime.now(timezone.utc).date().isoformat()

    def logs(**params):
        resp = ep.owner.api("GET", "/api/v1/logs", query_string=params)
        assert resp.status_code == 200, resp.json
        return resp.json

    failed = logs(status="failed", limit=100)["logs"]
    assert len(failed) == 5 and all(log["outcome"] == "failed" for log in failed)
    assert [log["created_at"] for log in failed] == sorted((log["created_at"] for log in failed), reverse=True)
    thistle = [log["id"] for log in failed if "thistle" in json.dumps(log["payload"])]
    assert [row["payload"]["item"] for row in logs(status="failed", query="thistle", limit=100)["logs"]] == \
        ["thistle 7", "thistle 5", "thistle 3", "thistle 1"]
    assert pages(lambda p: logs(status="failed", query="thistle", **{"from": today, "to": today}, **p),
                 "logs", limit=3) == thistle
    assert pages(lambda p: logs(status="failed", **p), "logs", limit=2) == [log["id"] for log in failed]
    assert logs(status="failed", query="thistle", to="2000-01-01")["logs"] == []


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plan: PostgreSQL plans with its statistics")
def test_sqlite_failed_calls_use_the_outcome_index(app, ep):
    # Without it, status=failed walks every call from the newest until it has a page: the whole
    # table when few calls fail.
    ep.call("POST", json={"qty": "none"})
    resp, plan = plan_of(app, lambda: ep.owner.api("GET", "/api/v1/logs", query_string={"status": "failed"}),
                         "FROM call_logs")
    assert len(resp.json["logs"]) == 1
    assert any("ix_call_logs_outcome_seq" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
