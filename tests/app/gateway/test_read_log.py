"""A data-plane read's log and counters are written moments after its answer (app/gateway/read_log.py):
every other request of the process sees them at once, the quota counts them while they wait,
and one the database refuses does not take the others of its batch with it."""

import logging

import pytest

from tests.app.gateway.test_atomicity import DROP, counts, group_commit_mode, run_sql  # noqa: F401 (both modes)
from tests.conftest import ON_POSTGRES, mcp_key
from tests.gateway_helpers import make_owner
from tests.hostile import mcp_post, tool_call
from tests.log_helpers import log_id

POISON = {"sqlite": ["CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs WHEN new.record_id LIKE "
                     "'%poison%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
          "postgresql": ["CREATE OR REPLACE FUNCTION fail_call_logs() RETURNS trigger AS $$ BEGIN "
                         "IF NEW.record_id LIKE '%poison%' THEN RAISE EXCEPTION 'injected failure'; END IF; "
                         "RETURN NEW; END $$ LANGUAGE plpgsql",
                         "CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs "
                         "FOR EACH ROW EXECUTE FUNCTION fail_call_logs()"]}


@pytest.fixture
def slow_flush(app):
    """The read log's thread waits 30 s before writing, so what a test sees is not its doing."""
    reads = app.extensions["minapi.read_log"]
    reads.FLUSH_SECONDS = 30
    return reads


def lookup(owner, log):
    return owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": log})


def test_a_read_is_answered_before_its_log_is_written_and_any_other_request_sees_it(app, client, slow_flush):
    ep = make_owner(client).create_endpoint()
    record = ep.call("POST", json={"item": "kept"}).json["id"]
    before = counts(app)
    got = ep.call("GET", f"/{record}")
    listed = ep.call("GET")
    assert got.status_code == 200 and listed.status_code == 200
    assert counts(app) == before  # waiting in the process: no write before the answers
    for resp, action in ((got, "get"), (listed, "list")):
        (entry,) = lookup(ep.owner, log_id(resp)).json["logs"]
        assert entry["action"] == action and entry["status_code"] == 200
    totals = ep.owner.api("GET", "/api/v1/stats").json["totals"]
    assert totals["calls"] == 3 and totals["writes"] == 1
    assert ep.owner.api("GET", "/api/v1/subscription").json["calls_used"] == 3
    after = counts(app)
    assert (after["call_logs"], after["records"]) == (before["call_logs"] + 2, before["records"])


def test_a_write_comes_after_the_reads_answered_before_it(app, client, slow_flush):
    """The logs are listed by sequence number: a write first writes the reads waiting before it."""
    ep = make_owner(client).create_endpoint()
    record = ep.call("POST", json={"item": "a"}).json["id"]
    ids = [log_id(ep.call("GET", f"/{record}")), log_id(ep.call("PUT", f"/{record}", json={"item": "b"})),
           log_id(ep.call("GET", f"/{record}"))]
    resp = ep.owner.api("GET", "/api/v1/logs/lookup", query_string={"record_id": record})
    assert [entry["id"] for entry in resp.json["logs"]][:3] == ids[::-1]


def test_the_quota_counts_reads_still_waiting(make_app, group_commit_mode):  # noqa: F811
    app = make_app(PLANS={"tiny": {"calls": 10, "price": 0}, "free": {"calls": 1000, "price": 0}},
                   DEFAULT_PLAN="tiny")
    app.extensions["minapi.read_log"].FLUSH_SECONDS = 30
    from app.writer import group_commit_for

    if group_commit_for(app) is not None:
        group_commit_for(app).inline = group_commit_mode == "inline"
    ep = make_owner(app.test_client()).create_endpoint()
    assert ep.call("GET").status_code == 200  # the sandbox's first success: written at once
    before = counts(app)
    assert [ep.call("GET").status_code for _ in range(9)] == [200] * 9
    after = counts(app)  # the nine reads' charges are only in this process's memory
    assert (after["call_logs"], after["usage_cycles"]) == (before["call_logs"], before["usage_cycles"]) == (1, 1)
    refused = ep.call("GET")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "quota_exceeded"
    assert refused.json["error"]["details"] == {"limit": 10, "used": 10}
    assert ep.owner.api("GET", "/api/v1/subscription").json["calls_used"] == 10  # logged, not charged
    assert lookup(ep.owner, log_id(refused)).json["logs"][0]["error_code"] == "quota_exceeded"


def test_a_read_the_database_refuses_is_dropped_alone(app, client, slow_flush, caplog):
    ep = make_owner(client).create_endpoint()
    record = ep.call("POST", json={"item": "kept"}).json["id"]
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    run_sql(app, POISON[dialect])
    try:
        answers = [ep.call("GET", f"/{record}"), ep.call("GET", "/rec_poison"), ep.call("GET", f"/{record}"),
                   ep.call("GET")]
        assert [resp.status_code for resp in answers] == [200, 404, 200, 200]  # answered before any write
        with caplog.at_level(logging.ERROR):
            totals = ep.owner.api("GET", "/api/v1/stats").json["totals"]  # writes the batch, poison and all
    finally:
        run_sql(app, DROP[dialect])
    assert totals["calls"] == 4 and totals["failures"] == 0  # the create and the three good reads
    for resp in answers:
        found = lookup(ep.owner, log_id(resp))
        assert found.status_code == (404 if resp is answers[1] else 200)
    assert any("dropped 1 read call logs" in r.getMessage() and log_id(answers[1]) in r.getMessage()
               for r in caplog.records)
    assert not app.extensions["minapi.read_log"].items  # dropped, not kept for another try


def test_reads_kept_while_the_database_refuses_them_all_are_written_once_it_takes_them(app, client, slow_flush):
    ep = make_owner(client).create_endpoint()
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    from tests.app.gateway.test_atomicity import FAIL_LOG_INSERTS

    run_sql(app, FAIL_LOG_INSERTS[dialect])
    try:
        answers = [ep.call("GET", "/rec_nothere") for _ in range(4)]
        assert ep.owner.api("GET", "/api/v1/stats").status_code == 200  # the write fails: kept, not dropped
        assert len(app.extensions["minapi.read_log"].items) == 4
    finally:
        run_sql(app, DROP[dialect])
    for resp in answers:
        assert lookup(ep.owner, log_id(resp)).status_code == 200


def test_an_mcp_request_sees_the_reads_answered_before_it(app, client, slow_flush):
    """A plain POST to /api/mcp (served ahead of Flask, app/tools/mcp_view.py) writes them first too."""
    ep = make_owner(client).create_endpoint()
    record = ep.call("POST", json={"item": "kept"}).json["id"]
    got = log_id(ep.call("GET", f"/{record}"))
    resp = mcp_post(client, mcp_key(app, "owner@example.com"), tool_call("logs_search", {"endpoint": ep.slug}))
    assert resp.status_code == 200 and resp.json["result"]["isError"] is False, resp.json
    found = resp.json["result"]["structuredContent"]
    assert got in [entry["id"] for entry in found["logs"]]
