"""`/healthz`, `/readyz` and `/metrics` through HTTP (SPEC §7)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job, WorkerHeartbeat
from app.jobs.worker import Worker
from app import create_app
from tests.conftest import base_config, mcp_key
from tests.live import LiveServer, mcp_call

TOKEN = "metrics-token-0123456789"


def sample(body: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name:
            got = ",".join(sorted(p for p in (m.group(2) or "").split(",") if p))
            if got == want:
                return float(m.group(3))
    return 0.0


def beat(app, seconds_ago: float = 0) -> None:
    with app.app_context():
        worker = Worker(app, worker_id="test-worker")
        worker.heartbeat()
        db.session.query(WorkerHeartbeat).update({"seen_at": utcnow() - timedelta(seconds=seconds_ago)})
        db.session.commit()


def test_healthz_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_readyz_wants_a_worker_seen_in_the_last_minute(app, client):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    err = resp.json["error"]
    assert err["code"] == "not_ready" and err["details"]["failing"] == ["worker"]
    assert err["details"]["checks"]["database"] == "ok" and err["details"]["checks"]["migrations"] == "ok"
    assert "worker" in err["message"]

    beat(app, seconds_ago=90)
    assert client.get("/readyz").status_code == 503
    beat(app)
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.json
    assert resp.json == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "worker": "ok"}}


def test_a_running_worker_beats_and_leaves_when_stopped(app, client):
    """The worker loop notes itself; stopped (SIGTERM's path), it removes its row; a burst run
    (`minapi worker --burst`) is not a standing worker and never beats."""
    import threading

    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert client.get("/readyz").status_code == 503
    worker = Worker(app, worker_id="looping")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        deadline = time.time() + 20
        while client.get("/readyz").status_code != 200:
            assert time.time() < deadline, "the worker never beat"
            time.sleep(0.1)
    finally:
        worker.stop()
        thread.join(20)
    assert client.get("/readyz").json["error"]["details"]["failing"] == ["worker"]


def test_readyz_names_pending_migrations(app, client):
    beat(app)
    with app.app_context():
        head = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json["error"]["details"]["failing"] == ["migrations"]
        assert "minapi db upgrade" in resp.json["error"]["details"]["checks"]["migrations"]
    finally:  # on PostgreSQL the database outlives the test: put the real version back
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
            db.session.commit()


def test_readyz_names_an_unreachable_database(tmp_path):
    app = create_app(base_config(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    details = resp.json["error"]["details"]
    assert details["failing"] == ["database", "migrations", "worker"]
    assert details["checks"]["database"].startswith("OperationalError")


def test_metrics_are_off_without_a_token(client):
    resp = client.get("/metrics")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    assert "MINAPI_METRICS_TOKEN" in resp.json["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_metrics_need_the_bearer_token(make_app, header):
    client = make_app(METRICS_TOKEN=TOKEN).test_client()
    resp = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401 and resp.json["error"]["code"] == "invalid_token"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def scrape(client) -> str:
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    return resp.get_data(as_text=True)


def test_metrics_count_requests_data_calls_and_the_queue(make_app):
    app = make_app(METRICS_TOKEN=TOKEN)
    client = app.test_client()
    before = scrape(client)
    client.get("/healthz")
    data = client.get("/api/v1/data/nope", headers={"x-api-key": "tm_test_nope"})
    assert data.status_code in (401, 404)
    assert client.get("/api/v1/endpoints").status_code == 401
    with app.app_context():
        db.session.add(Job(kind="test.due", payload={}, run_at=utcnow() - timedelta(seconds=120)))
        db.session.add(Job(kind="test.later", payload={}, run_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    after = scrape(client)

    def grew(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("minapi_http_requests_total", family="ops", status="200") >= 2  # /healthz and the scrape
    assert grew("minapi_http_requests_total", family="data", status=str(data.status_code)) == 1
    assert grew("minapi_data_calls_total", outcome="failed") == 1
    assert grew("minapi_http_requests_total", family="rest", status="401") == 1
    assert grew("minapi_http_request_duration_seconds_count", family="data") == 1
    assert sample(after, "minapi_jobs", state="pending") == 2
    assert sample(after, "minapi_jobs", state="due") == 1
    assert 119 <= sample(after, "minapi_jobs_oldest_due_seconds") < 600


@pytest.mark.slow
def test_metrics_count_mcp_tool_calls_by_tool_and_outcome(make_app):
    app = make_app(METRICS_TOKEN=TOKEN)
    key = mcp_key(app)
    client = app.test_client()
    before = scrape(client)

    async def calls(c):
        await c.call_tool("help", {})
        await c.call_tool("endpoints_get", {"endpoint": "missing"})

    with LiveServer(app) as server:
        mcp_call(server.url, key, calls)
    after = scrape(client)
    assert sample(after, "minapi_mcp_tool_calls_total", tool="help", outcome="success") \
        - sample(before, "minapi_mcp_tool_calls_total", tool="help", outcome="success") == 1
    assert sample(after, "minapi_mcp_tool_calls_total", tool="endpoints_get", outcome="endpoint_not_found") \
        - sample(before, "minapi_mcp_tool_calls_total", tool="endpoints_get", outcome="endpoint_not_found") == 1
    assert sample(after, "minapi_mcp_tool_call_duration_seconds_count", tool="help") >= 1


@pytest.mark.parametrize("value, expected", [("", None), ("  ", None), ("x" * 16, "x" * 16), (1234567890123456789, "1234567890123456789")])
def test_the_metrics_token_setting_is_normalized(make_app, value, expected):
    assert make_app(METRICS_TOKEN=value).config["METRICS_TOKEN"] == expected


def test_a_short_metrics_token_stops_start_up(tmp_path):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="MINAPI_METRICS_TOKEN must be at least 16"):
        create_app(base_config(tmp_path, METRICS_TOKEN="short"))
