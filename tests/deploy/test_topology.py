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
import shlex
import signal
import socket
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import PG_URL
from tests.deploy.tcp_proxy import TcpProxy
from tests.live import free_port, mcp_call, minapi_exe, wait_for_port

pytestmark = pytest.mark.slow

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = "/usr/sbin/nginx"
REDIS_URL = os.environ.get("MINAPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
METRICS_TOKEN = "topology-metrics-token-0123"
RATE = 200  # per data key per hour: far from a window's edge while the test runs


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


def env_file() -> dict:
    env = {}
    for line in (DEPLOY / "minapi.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def exec_start(unit: str) -> list[str]:
    line = next(l for l in (DEPLOY / "systemd" / unit).read_text().splitlines() if l.startswith("ExecStart="))
    return shlex.split(line.split("=", 1)[1])


def site_conf(listen: int, hosts: list[int], access_log: Path) -> str:
    conf = (DEPLOY / "nginx" / "minapi.conf").read_text()
    servers = re.findall(r"server 10\.0\.0\.\d+:8000", conf)
    assert len(servers) == len(hosts) == 2
    for server, port in zip(servers, hosts):
        conf = conf.replace(server, f"server 127.0.0.1:{port}", 1)
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    return conf.replace("/var/log/nginx/minapi.access.log", str(access_log))


class Pg:
    """Direct statements on the topology's database (not through the proxy)."""

    def __init__(self, url: str):
        self.url = url

    def all(self, sql: str, *params):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []


class Topology:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen] = {}
        base = PG_URL.rsplit("/", 1)
        self.db_name = f"{base[1].split('?')[0]}_topology"
        self.admin = Pg(PG_URL)
        self.pg = Pg(f"{base[0]}/{self.db_name}")
        host, port = re.match(r"postgres(?:ql)?://[^@]*@([^:/]+):?(\d+)?", PG_URL).groups()
        self.proxy = TcpProxy((host, int(port or 5432))).start()
        self.web_ports = [free_port(), free_port()]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp / "nginx" / "access.log"
        self.bucket = f"minapi-{uuid.uuid4().hex[:10]}"

    # -- bring-up ------------------------------------------------------------------------

    def up(self) -> None:
        self.admin.all(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.admin.all(f'CREATE DATABASE "{self.db_name}"')
        self.s3_url = self._moto()
        self.env = self._env()
        self.run("db", "upgrade")  # once, before several hosts start (as the unit file says)
        for n, port in enumerate(self.web_ports):
            self.start_web(n, port)
        for n in range(2):
            cmd = [minapi_exe() if c.endswith("/minapi") else c for c in exec_start("minapi-worker.service")]
            self.spawn(f"worker{n}", cmd, n)
        for port, n in zip(self.web_ports, range(2)):
            wait_for_port(port, self.procs[f"web{n}"], timeout=60)
        self._nginx()

    def _moto(self) -> str:
        import boto3
        from moto.server import ThreadedMotoServer

        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        url = f"http://{host}:{port}"
        self.s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing",
                               aws_secret_access_key="testing", region_name="us-east-1")
        self.s3.create_bucket(Bucket=self.bucket)
        return url

    def _env(self) -> dict:
        file = env_file()
        assert {"MINAPI_DATABASE_URL", "MINAPI_REDIS_URL", "MINAPI_ARCHIVE_URL", "MINAPI_SECRET_KEY",
                "MINAPI_METRICS_TOKEN", "MINAPI_BASE_URL"} <= set(file)
        file.pop("MINAPI_SMTP_URL", None)  # mail goes to each worker's outbox/ here
        pg_user = re.match(r"postgres(?:ql)?://([^@]*)@", PG_URL).group(1)
        file.update(
            MINAPI_DATABASE_URL=f"postgresql://{pg_user}@127.0.0.1:{self.proxy.port}/{self.db_name}",
            MINAPI_SECRET_KEY="topology-secret-" + "0" * 48, MINAPI_BASE_URL=self.url,
            MINAPI_REDIS_URL=REDIS_URL, MINAPI_DATA_RATE_LIMIT=f"{RATE}/hour",
            MINAPI_ARCHIVE_URL=f"s3://{self.bucket}/production", MINAPI_S3_ENDPOINT_URL=self.s3_url,
            AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", MINAPI_METRICS_TOKEN=METRICS_TOKEN,
            MINAPI_INSTANCE_PATH=str(self.tmp / "cli"), MINAPI_WORKER_POLL_INTERVAL="0.2")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MINAPI_", "AWS_", "PROMETHEUS_"))}
        env.update(file, AWS_CONFIG_FILE=str(self.tmp / "none"), AWS_SHARED_CREDENTIALS_FILE=str(self.tmp / "none"))
        return env

    def start_web(self, n: int, port: int) -> None:
        cmd = [minapi_exe() if c.endswith("/minapi") else c for c in exec_start("minapi-web.service")]
        assert "--no-worker" in cmd
        cmd = " ".join(cmd).replace("--host 0.0.0.0", "--host 127.0.0.1").replace("--port 8000", f"--port {port}")
        self.spawn(f"web{n}", re.sub(r"--workers \d+", "--workers 1", cmd).split(), n)

    def spawn(self, name: str, cmd: list[str], n: int) -> None:
        instance = self.tmp / f"{name}"
        instance.mkdir(exist_ok=True)
        env = dict(self.env, MINAPI_INSTANCE_PATH=str(instance))
        log = open(self.tmp / f"{name}.log", "wb")
        self.procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def _nginx(self) -> None:
        root = self.tmp / "nginx"
        root.mkdir()
        (root / "minapi.conf").write_text(site_conf(self.port, self.web_ports, self.access_log))
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(f"{kind}_temp_path {root}/{kind};\n" for kind in
                       ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (root / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n"
            f"events {{ worker_connections 512; }}\nhttp {{\n{temp}include {root}/minapi.conf;\n}}\n")
        check = subprocess.run([NGINX, "-t", "-p", str(root), "-c", str(root / "nginx.conf"), "-e",
                                str(root / "error.log")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.procs["nginx"] = subprocess.Popen([NGINX, "-p", str(root), "-c", str(root / "nginx.conf"),
                                                "-e", str(root / "error.log")], start_new_session=True)
        wait_for_port(self.port, self.procs["nginx"])

    # -- helpers -------------------------------------------------------------------------

    def run(self, *args) -> str:
        done = subprocess.run([minapi_exe(), *args], env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)

    def down(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                with_signal = signal.SIGQUIT if name == "nginx" else signal.SIGTERM
                try:
                    os.killpg(proc.pid, with_signal)
                    proc.wait(20)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(name)
        self.proxy.stop()
        if hasattr(self, "moto"):
            self.moto.stop()
        self.admin.all(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def upstreams_since(self, offset: int, path: str) -> list[str]:
        lines = self.access_log.read_text()[offset:].splitlines()
        return [re.search(r"upstream=(\S+)", line).group(1) for line in lines if f" {path} " in line]

    def log_size(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0


def wait_until(fn, timeout: float, message: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {message}")


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
