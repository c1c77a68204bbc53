"""`/metrics` under `minapi serve --workers 2`: each gunicorn worker counts in its own file,
and one scrape adds them up (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.app.test_ops import TOKEN, sample
from tests.conftest import ON_POSTGRES, PG_URL
from tests.live import free_port, minapi_exe, wait_for_port

REQUESTS = 60


@pytest.mark.slow
def test_counts_from_both_workers_add_up(tmp_path):
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale from a previous run")  # must be wiped
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(tmp_path / "instance"), MINAPI_SECRET_KEY="ops-live-secret-0000",
               MINAPI_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    if ON_POSTGRES:
        env["MINAPI_DATABASE_URL"] = PG_URL
    port = free_port()
    proc = subprocess.Popen([minapi_exe(), "serve", "--port", str(port), "--workers", "2", "--no-worker"],
                            env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "serve.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_port(port, proc, timeout=60)
        except RuntimeError:
            raise AssertionError((tmp_path / "serve.log").read_text()[-3000:]) from None

        def hit(_):
            # A connection per request, so the two workers share the requests.
            return httpx.get(f"{url}/healthz", headers={"Connection": "close"}, timeout=10).status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(hit, range(REQUESTS))) == {200}
        body = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
        files = sorted(p.name for p in metrics_dir.iterdir() if p.name.startswith("counter_"))
    finally:
        proc.terminate()
        proc.wait(30)
    assert "counter_999999.db" not in files
    assert len(files) == 2, files  # one per gunicorn worker: both served some of the requests
    assert sample(body, "minapi_http_requests_total", family="ops", status="200") == REQUESTS
    assert sample(body, "minapi_http_request_duration_seconds_count", family="ops") == REQUESTS
    assert 'minapi_jobs{state="pending"} 0.0' in body
