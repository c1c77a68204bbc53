"""The topology of `deploy/` brought up on one machine, for tests/deploy/test_topology.py.

Processes are started from the files in `deploy/` (the env file, the systemd units' ExecStart
lines, the nginx site), with only addresses, ports and paths rewritten.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import uuid
from pathlib import Path

from tests.conftest import PG_URL
from tests.deploy.tcp_proxy import TcpProxy
from tests.live import free_port, minapi_exe, wait_for_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = "/usr/sbin/nginx"
REDIS_URL = os.environ.get("MINAPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
METRICS_TOKEN = "topology-metrics-token-0123"
RATE = 200  # per data key per hour: far from a window's edge while the test runs


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
