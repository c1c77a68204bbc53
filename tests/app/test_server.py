"""`minapi serve` runs one job worker beside gunicorn, and stops it with itself; `--no-worker` runs none.
With `--threads 1` it serves with sync workers, each writing its own data-plane calls."""

import os
import signal
import subprocess

import pytest

from app.extensions import db
from app.mail import send_mail
from tests.live import free_port, minapi_exe, wait_for_port
from tests.receivers import wait_until, worker_env


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def outbox(app):
    folder = os.path.join(app.instance_path, "outbox")
    return os.listdir(folder) if os.path.isdir(folder) else []


@pytest.mark.slow
@pytest.mark.parametrize("no_worker", [False, True])
def test_serve_runs_a_worker_unless_told_not_to(app, no_worker):
    port = free_port()
    args = [minapi_exe(), "serve", "--port", str(port), "--workers", "1"] + (["--no-worker"] if no_worker else [])
    proc = subprocess.Popen(args, env=worker_env(app), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        with app.app_context():
            send_mail("ada@example.com", "Hi", "from the worker")
            db.session.commit()
        if no_worker:
            wait_until(lambda: len(children(proc.pid)) >= 1, message="the web worker")
            assert not any("worker" in cmdline(c) and "app.cli" in cmdline(c) for c in children(proc.pid))
            return
        wait_until(lambda: outbox(app), timeout=30, message="the mail to be written by the job worker")
        [job_worker] = [c for c in children(proc.pid) if "app.cli worker" in cmdline(c)]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert not os.path.exists(f"/proc/{job_worker}") or open(f"/proc/{job_worker}/stat").read().split()[2] == "Z"


@pytest.mark.slow
@pytest.mark.parametrize("flag", [None, "--no-access-log"])
def test_serve_logs_each_request_unless_told_not_to(app, tmp_path, flag):
    import urllib.request

    port = free_port()
    args = [minapi_exe(), "serve", "--port", str(port), "--workers", "1", "--no-worker"] + ([flag] if flag else [])
    out = tmp_path / "stdout"
    with open(out, "wb") as fh:
        proc = subprocess.Popen(args, env=worker_env(app), stdout=fh, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, proc)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/help") as resp:
                assert resp.status == 200
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
    logged = "GET /api/v1/help " in out.read_text()
    assert logged is (flag is None)


@pytest.mark.slow
def test_sync_workers_keep_every_call_and_undo_a_failed_one_alone(app, client):
    """`--threads 1`: two sync worker processes write their calls themselves (on SQLite, without the
    group's thread), taking the writer slot in turn; every acknowledged call is kept, counted and
    logged, and a call whose writes fail is undone alone."""
    import json
    import threading
    import urllib.error
    import urllib.request

    from sqlalchemy import text

    from tests.app.gateway.test_atomicity import DROP, FAIL_LOG_INSERTS, counts, run_sql
    from tests.conftest import ON_POSTGRES
    from tests.gateway_helpers import make_owner

    ep = make_owner(client).create_endpoint()
    port = free_port()
    args = [minapi_exe(), "serve", "--port", str(port), "--workers", "2", "--threads", "1", "--no-worker"]
    proc = subprocess.Popen(args, env=worker_env(app), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def post(item):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/data/{ep.slug}", method="POST",
                                     data=json.dumps({"item": item}).encode(),
                                     headers={"Authorization": f"Bearer {ep.sandbox}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    answers = []
    try:
        wait_for_port(port, proc)
        threads = [threading.Thread(target=lambda n=n: answers.extend(post(f"item {n}.{i}") for i in range(10)))
                   for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        before = counts(app)
        dialect = "postgresql" if ON_POSTGRES else "sqlite"
        run_sql(app, FAIL_LOG_INSERTS[dialect])
        try:
            failed = post("lost")
        finally:
            run_sql(app, DROP[dialect])
        assert failed[0] == 500 and failed[1]["error"]["code"] == "internal_error"
        assert counts(app) == before
        assert post("after")[0] == 201
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert [status for status, _ in answers] == [201] * 60
    with app.app_context():
        items = db.session.execute(text("SELECT data FROM records")).scalars().all()
        logged = db.session.execute(text("SELECT count(*) FROM call_logs WHERE status_code = 201")).scalar()
        charged = db.session.execute(text("SELECT COALESCE(SUM(calls), 0) FROM usage_cycles")).scalar()
    stored = {(json.loads(i) if isinstance(i, str) else i)["item"] for i in items}
    assert {body["data"]["item"] for _, body in answers} | {"after"} <= stored
    assert logged == 61 and charged == 61


@pytest.mark.slow
@pytest.mark.parametrize("threads", ["1", "8"])
def test_every_answered_read_is_logged_once_the_server_stops(app, client, threads):
    """Reads' logs wait in the worker that answered them (app/gateway/read_log.py); a SIGTERM right
    after the last answer still leaves every one in the call logs, as a fresh connection sees them."""
    import json
    import threading
    import urllib.request

    from sqlalchemy import text

    from tests.gateway_helpers import make_owner

    ep = make_owner(client).create_endpoint()
    record = ep.call("POST", json={"item": "read me"}).json["id"]
    port = free_port()
    args = [minapi_exe(), "serve", "--port", str(port), "--workers", "2", "--threads", threads, "--no-worker"]
    proc = subprocess.Popen(args, env=worker_env(app, DATA_RATE_LIMIT="100000/second"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def get(path):
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/data/{ep.slug}{path}",
                                     headers={"Authorization": f"Bearer {ep.sandbox}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            json.loads(resp.read())
            return resp.status, resp.headers["X-Minapi-Log-Id"]

    answers = []
    try:
        wait_for_port(port, proc)
        threads_ = [threading.Thread(target=lambda n=n: answers.extend(
            get(f"/{record}" if i % 2 else "?limit=5") for i in range(25))) for n in range(6)]
        for t in threads_:
            t.start()
        for t in threads_:
            t.join()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert [status for status, _ in answers] == [200] * 150
    with app.app_context():
        db.engine.dispose()  # a fresh connection: nothing this process remembers
        logged = set(db.session.execute(text("SELECT id FROM call_logs WHERE action IN ('get', 'list')")).scalars())
        charged = db.session.execute(text("SELECT COALESCE(SUM(calls), 0) FROM usage_cycles")).scalar()
    assert {log for _, log in answers} <= logged and len(logged) == 150
    assert charged == 151
