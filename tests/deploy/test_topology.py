"""The README's several-machines setup, run on one machine with the files from `deploy/`.

Debian's nginx (the site file `deploy/nginx/minapi.conf`) balances two web hosts started as
`deploy/systemd/minapi-web.service` says (`minapi serve --no-worker`), two job workers as
`minapi-worker.service` says, all configured by `deploy/minapi.env`, on PostgreSQL (reached
through a TCP proxy the test can cut), Redis for rate limits and an S3-compatible server
(moto) for archives. Only addresses, ports and paths are rewritten. Everything is checked
through the balancer or by reading the database and the bucket.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import PG_URL
from tests.deploy.topology import METRICS_TOKEN, NGINX, RATE, REDIS_URL, Topology, wait_until
from tests.live import mcp_call

pytestmark = pytest.mark.slow


def _skip_unless_ready():
    # CI (.ci/topology) sets MINAPI_TOPOLOGY_REQUIRED: there a missing piece fails the test.
    missing = pytest.fail if os.environ.get("MINAPI_TOPOLOGY_REQUIRED") else pytest.skip
    if not os.path.exists(NGINX):
        missing(f"nginx is not installed ({NGINX})")
    if not PG_URL.startswith("postgres"):
        missing("needs PostgreSQL: set MINAPI_TEST_DATABASE_URL")
    host, port = re.match(r"redis://([^:/]+):?(\d+)?", REDIS_URL).groups()
    try:
        socket.create_connection((host, int(port or 6379)), timeout=1).close()
    except OSError:
        missing(f"Redis is not reachable at {REDIS_URL}")
    try:
        import moto.server  # noqa: F401
    except ImportError:
        missing("moto[server] is not installed")


@pytest.fixture(scope="module")
def topo(tmp_path_factory):
    _skip_unless_ready()
    t = Topology(tmp_path_factory.mktemp("topology"))
    try:
        t.up()
        t.run("users", "create", "ops@example.com", "--password", "long enough pw", "--plan", "enterprise")
        t.key = t.run("keys", "create-mcp", "ops@example.com").strip().splitlines()[0]
        t.api = httpx.Client(base_url=t.url, headers={"x-api-key": t.key}, timeout=30)
        yield t
    finally:
        t.down()
        for name in t.procs:  # keep the hosts' logs next to a failure
            log = t.tmp / f"{name}.log"
            if log.exists() and log.stat().st_size:
                print(f"--- {name}.log (tail)\n" + log.read_text()[-3000:])


def new_endpoint(topo, name: str) -> dict:
    resp = topo.api.post("/api/v1/endpoints", json={"name": name})
    assert resp.status_code == 201, resp.text
    return resp.json()


def ready(topo):
    resp = httpx.get(f"{topo.url}/readyz", timeout=10)
    return resp if resp.status_code == 200 else None


def test_ready_through_the_balancer_with_both_workers_beating(topo):
    resp = wait_until(lambda: ready(topo), 60, "/readyz to answer 200")
    assert resp.json()["checks"] == {"database": "ok", "migrations": "ok", "worker": "ok"}
    workers = topo.pg.all("SELECT worker_id FROM worker_heartbeats")
    assert len(workers) == 2


def test_one_mcp_conversation_is_answered_by_both_hosts(topo):
    offset = topo.log_size()

    async def conversation(client):
        names = {t.name for t in (await client.list_tools()).tools}
        topics = [(await client.call_tool("help", {"topic": t})).structured_content["topic"]
                  for t in ("mcp", "keys", "plans", "oauth")]
        return names, topics

    names, topics = mcp_call(topo.url, topo.key, conversation)
    assert "help" in names and topics == ["mcp", "keys", "plans", "oauth"]
    time.sleep(0.5)  # nginx writes its log line after the response
    upstreams = topo.upstreams_since(offset, "/api/mcp")
    assert len(upstreams) >= 6
    assert set(upstreams) == {f"127.0.0.1:{p}" for p in topo.web_ports}


def test_the_data_rate_limit_is_shared_by_the_hosts(topo):
    key = new_endpoint(topo, "Rate")
    slug, secret = key["slug"], key["owner_keys"]["sandbox"]
    offset = topo.log_size()
    with httpx.Client(base_url=topo.url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
        codes = [http.post(f"/api/v1/data/{slug}", json={"n": i}).status_code for i in range(RATE + 40)]
    assert codes.count(201) == RATE and codes.count(429) == 40, {c: codes.count(c) for c in set(codes)}
    time.sleep(0.5)
    assert len(set(topo.upstreams_since(offset, f"/api/v1/data/{slug}"))) == 2  # both hosts counted


def test_each_periodic_task_is_enqueued_once_by_two_workers(topo):
    names = wait_until(lambda: [r[0] for r in topo.pg.all("SELECT name FROM job_schedules")], 30,
                       "the workers to schedule periodic tasks")
    time.sleep(3)  # both workers have looked at the schedule several times by now
    assert {"archives.daily", "jobs.prune", "oauth.prune"} <= set(names)
    counts = dict(topo.pg.all("SELECT kind, count(*) FROM jobs WHERE kind = ANY(%s) GROUP BY kind", names))
    assert counts == {name: 1 for name in names}
    done = dict(topo.pg.all("SELECT kind, locked_by FROM jobs WHERE kind = ANY(%s)", names))
    assert all(done.values())  # taken by a worker


def test_archives_are_written_to_s3(topo):
    ep = new_endpoint(topo, "Archived")
    sandbox = {"Authorization": f"Bearer {ep['owner_keys']['sandbox']}"}
    assert httpx.post(f"{topo.url}/api/v1/data/{ep['slug']}", json={"n": 0}, headers=sandbox).status_code == 201
    assert topo.api.post(f"/api/v1/endpoints/{ep['slug']}/deploy").status_code == 200
    live = {"Authorization": f"Bearer {ep['owner_keys']['production']}"}
    for i in range(3):
        assert httpx.post(f"{topo.url}/api/v1/data/{ep['slug']}", json={"n": i}, headers=live).status_code == 201
    topo.pg.all("UPDATE call_logs SET created_at = created_at - interval '40 days' WHERE endpoint_id = %s",
                ep["id"])
    topo.run("archive", "run")  # as an operator's cron would (the workers also run it daily)
    objects = [o["Key"] for o in topo.s3.list_objects_v2(Bucket=topo.bucket).get("Contents", [])]
    mine = [k for k in objects if ep["id"] in k]
    assert any(k.endswith(".jsonl.gz") for k in mine) and any(k.endswith(".csv") for k in mine), objects
    listed = topo.api.get("/api/v1/archives", params={"endpoint": ep["slug"]}).json()
    assert sum(f["rows"] for f in listed["archives"]) == 3, listed


def test_metrics_through_the_balancer(topo):
    resp = httpx.get(f"{topo.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    assert resp.status_code == 200 and "minapi_http_requests_total" in resp.text
    assert httpx.get(f"{topo.url}/metrics", timeout=10).status_code == 401


def test_readyz_is_503_while_the_database_is_down_and_200_after(topo):
    wait_until(lambda: ready(topo), 60, "/readyz to answer 200 first")
    topo.proxy.stop()
    try:
        resp = httpx.get(f"{topo.url}/readyz", timeout=30)
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["details"]["failing"][0] == "database"
        assert httpx.get(f"{topo.url}/healthz", timeout=10).status_code == 200  # the process still answers
    finally:
        topo.proxy.start()
    resp = wait_until(lambda: ready(topo), 60, "/readyz to answer 200 once the database is back")
    assert resp.json()["status"] == "ready"


def test_no_acknowledged_write_is_lost_when_a_web_host_is_killed(topo):
    endpoints = [new_endpoint(topo, f"Load {n}") for n in range(4)]
    acknowledged, refused, stop = [], [], threading.Event()
    lock = threading.Lock()

    def writer(ep):
        headers = {"Authorization": f"Bearer {ep['owner_keys']['sandbox']}"}
        with httpx.Client(base_url=topo.url, headers=headers, timeout=30) as http:
            for i in range(RATE - 10):
                if stop.is_set():
                    return
                try:
                    resp = http.post(f"/api/v1/data/{ep['slug']}", json={"i": i})
                except httpx.HTTPError:
                    with lock:
                        refused.append("transport")
                    continue
                with lock:
                    (acknowledged.append(resp.json()["id"]) if resp.status_code == 201
                     else refused.append(resp.status_code))

    with ThreadPoolExecutor(len(endpoints)) as pool:
        futures = [pool.submit(writer, ep) for ep in endpoints]
        wait_until(lambda: len(acknowledged) >= 40, 60, "writes to flow")
        topo.kill("web0")
        killed_at = len(acknowledged)
        time.sleep(4)
        stop.set()
        for f in futures:
            f.result()
    assert len(acknowledged) > killed_at + 20, "writes kept being acknowledged by the other host"
    stored = {r[0] for r in topo.pg.all("SELECT id FROM records WHERE endpoint_id = ANY(%s)",
                                        [ep["id"] for ep in endpoints])}
    lost = set(acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged writes are missing"
    assert set(refused) <= {502, 503, 504, "transport"}, refused
