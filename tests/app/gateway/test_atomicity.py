"""A data-plane write and everything it causes commit together, or not at all."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.conftest import ON_POSTGRES
from tests.gateway_helpers import make_owner

FAIL_LOG_INSERTS = {
    "sqlite": ["CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs "
               "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
    "postgresql": ["CREATE OR REPLACE FUNCTION fail_call_logs() RETURNS trigger AS $$ "
                   "BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
                   "CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs "
                   "FOR EACH ROW EXECUTE FUNCTION fail_call_logs()"],
}
DROP = {"sqlite": ["DROP TRIGGER fail_call_logs"],
        "postgresql": ["DROP TRIGGER fail_call_logs ON call_logs", "DROP FUNCTION fail_call_logs()"]}


@pytest.fixture(autouse=True, params=["group thread", "inline"])
def group_commit_mode(request, app):
    """On SQLite, each test runs with the group's writing thread and with the caller writing its own
    call (`inline`, as under `minapi serve --threads 1`); PostgreSQL has no group commit."""
    from app.writer import group_commit_for

    group = group_commit_for(app)
    if group is None and request.param == "inline":
        pytest.skip("PostgreSQL writes each call in its own transaction: there is no group commit")
    if group is not None:
        group.inline = request.param == "inline"
    yield request.param


def counts(app):
    with app.app_context():
        return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("records", "call_logs", "usage_daily", "usage_cycles", "jobs")}


def run_sql(app, statements):
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))


def test_failure_after_the_record_insert_leaves_nothing_behind(app, client):
    ep = make_owner(client).create_endpoint()
    ep.owner.api("PATCH", f"/api/v1/endpoints/{ep.slug}", json={"webhook": {"url": "https://hooks.example/x"}})
    assert ep.call("POST", json={"item": "kept"}).status_code == 201
    before = counts(app)
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    run_sql(app, FAIL_LOG_INSERTS[dialect])
    try:
        resp = ep.call("POST", json={"item": "lost"})
        assert resp.status_code == 500
        assert resp.json["error"]["code"] == "internal_error"
        assert "injected" not in resp.get_data(as_text=True)
    finally:
        run_sql(app, DROP[dialect])
    assert counts(app) == before
    items = [r["data"]["item"] for r in ep.call("GET").json["data"]]
    assert items == ["kept"]


def test_webhook_job_commits_with_the_write(app, client):
    ep = make_owner(client).create_endpoint()
    resp = ep.call("POST", json={"item": "x"}, headers={"X-Webhook-Callback": "https://hooks.example/in",
                                                         "X-Webhook-Auth": "s3cret", "X-Webhook-Auth-Header": "X-Token"})
    assert resp.status_code == 201
    with app.app_context():
        job = db.session.execute(text("SELECT kind, payload FROM jobs")).one()
    import json

    payload = job.payload if isinstance(job.payload, dict) else json.loads(job.payload)
    assert job.kind == "webhook.deliver"
    assert payload["log_id"] == resp.headers["X-Minapi-Log-Id"]
    assert payload["url"] == "https://hooks.example/in"
    assert (payload["auth_header"], payload["auth_value"]) == ("X-Token", "s3cret")
    assert payload["event"]["type"] == "record.created"
    assert payload["event"]["record_id"] == resp.json["id"]
    assert payload["event"]["data"] == {"item": "x"}
    # A failed write fires no webhook.
    ep.call("POST", json={"qty": 1}, headers={"X-Webhook-Callback": "https://hooks.example/in"})
    assert counts(app)["jobs"] == 1


@pytest.mark.parametrize("headers,field", [
    ({"X-Webhook-Callback": "not a url"}, "X-Webhook-Callback"),
    ({"X-Webhook-Callback": "https://ok.example/", "X-Webhook-Auth-Header": "bad header"}, "X-Webhook-Auth-Header"),
])
def test_bad_webhook_headers_refuse_the_write(app, client, headers, field):
    ep = make_owner(client).create_endpoint()
    resp = ep.call("POST", json={"item": "x"}, headers=headers)
    assert resp.status_code == 400 and field in resp.json["error"]["details"]
    assert counts(app)["records"] == 0 and counts(app)["jobs"] == 0


def test_concurrent_calls_are_all_counted(app, client):
    """Calls in parallel (each thread its own connection, so several counter shards) add up exactly."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.live import LiveServer

    ep = make_owner(client).create_endpoint()
    with LiveServer(app) as server:
        url = f"{server.url}/api/v1/data/{ep.slug}"

        def post(i):
            return httpx.post(url, json={"item": f"n{i}"}, headers={"Authorization": f"Bearer {ep.sandbox}"}).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(post, range(40)))
    assert statuses == [201] * 40
    stats = ep.owner.api("GET", "/api/v1/stats").json
    assert stats["totals"]["calls"] == 40 and stats["totals"]["successes"] == 40
    assert ep.owner.api("GET", "/api/v1/subscription").json["calls_used"] == 40


def test_a_call_that_fails_among_concurrent_ones_is_undone_alone(app, client):
    """Concurrent writes commit together (SQLite's group commit): one failing call rolls back its own
    record, log and counters, and every other call of the group is kept."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.live import LiveServer

    ep = make_owner(client).create_endpoint()
    dialect = "postgresql" if ON_POSTGRES else "sqlite"
    poison = {"sqlite": ["CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs WHEN new.payload LIKE "
                         "'%poison%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
              "postgresql": ["CREATE OR REPLACE FUNCTION fail_call_logs() RETURNS trigger AS $$ BEGIN "
                             "IF NEW.payload::text LIKE '%poison%' THEN RAISE EXCEPTION 'injected failure'; END IF; "
                             "RETURN NEW; END $$ LANGUAGE plpgsql",
                             "CREATE TRIGGER fail_call_logs BEFORE INSERT ON call_logs "
                             "FOR EACH ROW EXECUTE FUNCTION fail_call_logs()"]}
    run_sql(app, poison[dialect])
    try:
        with LiveServer(app) as server:
            url = f"{server.url}/api/v1/data/{ep.slug}"

            def post(i):
                item = "poison" if i % 5 == 0 else f"n{i}"
                return item, httpx.post(url, json={"item": item},
                                        headers={"Authorization": f"Bearer {ep.sandbox}"}).status_code

            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(post, range(40)))
    finally:
        run_sql(app, DROP[dialect])
    assert sorted({status for item, status in results if item == "poison"}) == [500]
    kept = sorted(item for item, status in results if item != "poison")
    assert all(status == 201 for item, status in results if item != "poison")
    listed = []
    cursor = None
    while True:
        page = ep.call("GET", query_string={"limit": 30, **({"cursor": cursor} if cursor else {})}).json
        listed += [r["data"]["item"] for r in page["data"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(listed) == kept  # no record of a failed call; every other one kept
    # A REST request first writes the reads this process answered (the list pages' logs wait in
    # its read log until then, app/gateway/read_log.py); the tables then hold them too.
    stats = ep.owner.api("GET", "/api/v1/stats").json
    assert stats["totals"]["calls"] == len(kept) + 2
    table = counts(app)
    assert table["records"] == len(kept) and table["call_logs"] == len(kept) + 2  # + the two list pages
