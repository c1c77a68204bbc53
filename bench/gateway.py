"""Benchmark: minapi's gateway against a bare Flask insert, each at its best, same processes, same load.

    python bench/gateway.py [--db sqlite|postgres|both] [--seconds 8] [--connections 4,8,16,32] [--rounds 3]
                            [--baseline-threads 1,4,8] [--gateway-threads 1,4,8]

For each database it first picks each server's best configuration by measuring: the baseline
(bench/baseline_app.py: parse the same JSON, one insert; or one select for GET) under gunicorn
with `sync` workers (1) or `gthread` with N threads, and `minapi serve --threads N` (1 is sync
workers there too); both with
the same number of worker processes (BENCH_WORKERS, 2). The output says which won. Then it
drives both with `wrk` (Debian package `wrk`) at each connection count, for POST (create a
record) and GET one, and prints requests/s, p50 and p99 and the ratio gateway/baseline: each
figure is the median of `--rounds` runs, baseline and gateway taking turns, since the machine's
noise moves single runs by a third. The "saturating load" is the smallest connection count at
which the baseline reaches 95 % of its best POST throughput; the targets are checked there:
gateway POST >= 0.8 x baseline, GET one >= 0.8 x the bare select, gateway POST p99 <= 50 ms.
It prints the verdict last and exits 1 when a target is missed. Run by hand, not in CI. Only
loopback addresses are used; every run is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
BODY = {"item": "blue widget", "qty": 3, "tags": ["a", "b"], "note": "deliver to the back door"}
LUA = """
wrk.method = {method}
{body}
{headers}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status + summary.errors.connect +
    summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout=30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}) before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    stop(proc)  # never leave a server behind that did not come up
    raise RuntimeError(f"no answer from {url}")


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(url: str, method: str, body: dict | None, headers: dict, seconds: int, connections: int) -> dict:
    """One `wrk` run (2 threads) of the same request: requests, rps, p50 and p99 in ms, errors."""
    script = LUA.format(method=lua_string(method),
                        body=f"wrk.body = {lua_string(json.dumps(body))}" if body is not None else "",
                        headers="\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
                          "-s", fh.name, url], capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(fh.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout} {out.stderr}")
    requests, duration_us, p50, p99, errors = map(int, line.split()[1:])
    return {"requests": requests, "rps": requests / (duration_us / 1e6), "p50_ms": p50 / 1000,
            "p99_ms": p99 / 1000, "errors": errors}


def wrk(url: str, method: str, seconds: int, connections: int, key: str | None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    return run_wrk(url, method, BODY if method == "POST" else None, headers, seconds, connections)


def pg_database(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def setup_minapi(db: str, workdir: str) -> dict:
    """A fresh instance with one account and an MCP key (to create the endpoint once served)."""
    port = free_port()
    env = dict(os.environ, MINAPI_INSTANCE_PATH=os.path.join(workdir, "minapi"), MINAPI_SECRET_KEY="bench-secret-key-0123456789",
               MINAPI_BASE_URL=f"http://127.0.0.1:{port}", MINAPI_DATA_RATE_LIMIT="1000000/second")
    if db == "postgres":
        env["MINAPI_DATABASE_URL"] = pg_database("minapi_bench_gateway")
    minapi = os.path.join(BIN, "minapi")
    subprocess.run([minapi, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([minapi, "users", "create", "bench@example.com", "--password", "bench password", "--plan",
                    "enterprise"], env=env, check=True, capture_output=True)
    mcp = subprocess.run([minapi, "keys", "create-mcp", "bench@example.com"], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    return {"env": env, "port": port, "mcp": mcp}


def start_minapi(instance: dict, threads: int) -> tuple[subprocess.Popen, str, str, str]:
    """Serve the instance with `threads` per worker; the benchmark's endpoint is made on first start."""
    env, port = instance["env"], instance["port"]
    proc = subprocess.Popen([os.path.join(BIN, "minapi"), "serve", "--port", str(port), "--workers", str(WORKERS),
                             "--threads", str(threads), "--no-worker"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_up(base + "/api/v1/help", proc, timeout=120)
    if "key" not in instance:
        ep = http("POST", base + "/api/v1/endpoints", {"name": "Bench", "fields": [
            {"name": "item", "type": "string", "required": True, "searchable": True},
            {"name": "qty", "type": "number"}]}, {"x-api-key": instance["mcp"]})
        instance["key"] = ep["owner_keys"]["sandbox"]
        instance["collection"] = f"{base}/api/v1/data/{ep['slug']}"
        record = http("POST", instance["collection"], BODY, {"Authorization": f"Bearer {instance['key']}"})["id"]
        instance["record"] = f"{instance['collection']}/{record}"
    return proc, instance["collection"], instance["record"], instance["key"]


def setup_baseline(db: str, workdir: str) -> str:
    from sqlalchemy import create_engine, text

    url = (pg_database("minapi_bench_baseline").replace("postgresql://", "postgresql+psycopg://", 1)
           if db == "postgres" else f"sqlite:///{workdir}/baseline.db")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE base (id VARCHAR(32) PRIMARY KEY, data TEXT NOT NULL)"))
    engine.dispose()
    return url


def start_baseline(url: str, threads: int) -> tuple[subprocess.Popen, str, str]:
    """The bare app under gunicorn: `sync` workers for threads=1, else `gthread` with that many threads."""
    port = free_port()
    env = dict(os.environ, BENCH_DB_URL=url, PYTHONPATH=HERE)
    worker = ["-k", "sync"] if threads == 1 else ["-k", "gthread", "--threads", str(threads)]
    # The same access log `minapi serve` writes, so both servers pay for it.
    proc = subprocess.Popen([os.path.join(BIN, "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", str(WORKERS),
                             "--access-logfile", "-", *worker, "--preload", "baseline_app:app"],
                            env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_up(base + "/base/none", proc, timeout=120)
    rid = http("POST", base + "/base", BODY)["id"]
    return proc, base + "/base", f"{base}/base/{rid}"


def describe(threads: int) -> str:
    return "sync" if threads == 1 else f"gthread x{threads}"


def pick_best(name: str, start, choices: list[int], seconds: int, connections: int, key) -> int:
    """Try each thread setting with POST at `connections` (twice, alternating); keep the fastest."""
    scores: dict[int, list[float]] = {t: [] for t in choices}
    for _ in range(2):
        for threads in choices:
            proc, post_url, _get_url = start(threads)[:3]
            try:
                scores[threads].append(wrk(post_url, "POST", seconds, connections, key)["rps"])
            finally:
                stop(proc)
    best = max(choices, key=lambda t: statistics.median(scores[t]))
    print(f"  {name}: " + ", ".join(f"{describe(t)} {statistics.median(v):.0f} rps" for t, v in scores.items())
          + f" -> {describe(best)}", flush=True)
    return best


def median_run(runs: list[dict]) -> dict:
    """The median of each figure over the rounds (the machine's noise moves single runs a lot)."""
    return {name: statistics.median(r[name] for r in runs) for name in runs[0]}


def run_db(db: str, seconds: int, levels: list[int], rounds: int, baseline_threads: list[int],
           gateway_threads: list[int]) -> dict:
    workdir = tempfile.mkdtemp(prefix=f"minapi-bench-{db}-")
    procs = []
    try:
        instance = setup_minapi(db, workdir)
        url = setup_baseline(db, workdir)
        probe = levels[len(levels) // 2]
        print(f"{db}: choosing each server's best configuration (POST, {probe} connections):", flush=True)
        b_threads = pick_best("baseline", lambda t: start_baseline(url, t), baseline_threads, seconds, probe, None)
        g_threads = (pick_best("gateway", lambda t: start_minapi(instance, t), gateway_threads, seconds, probe,
                               instance.get("key") or _key(instance)) if len(gateway_threads) > 1
                     else gateway_threads[0])
        gw, gw_post, gw_get, key = start_minapi(instance, g_threads)
        procs.append(gw)
        bl, bl_post, bl_get = start_baseline(url, b_threads)
        procs.append(bl)
        rows = []
        for c in levels:
            for method, (b_url, g_url) in (("POST", (bl_post, gw_post)), ("GET", (bl_get, gw_get))):
                pairs = [(wrk(b_url, method, seconds, c, None), wrk(g_url, method, seconds, c, key))
                         for _ in range(rounds)]  # interleaved, so both see the same machine
                b, g = median_run([p[0] for p in pairs]), median_run([p[1] for p in pairs])
                ratio = statistics.median(p[1]["rps"] / p[0]["rps"] for p in pairs if p[0]["rps"])
                rows.append({"db": db, "connections": c, "method": method, "baseline": b, "gateway": g,
                             "ratio": ratio})
                print(f"{db:<9}{c:>4} {method:<5} baseline {b['rps']:8.0f} rps p50 {b['p50_ms']:6.1f} p99 "
                      f"{b['p99_ms']:6.1f} ms | gateway {g['rps']:8.0f} rps p50 {g['p50_ms']:6.1f} p99 "
                      f"{g['p99_ms']:6.1f} ms | ratio {ratio:.2f}"
                      + (f"  (errors: baseline {b['errors']}, gateway {g['errors']})" if b["errors"] or g["errors"] else ""),
                      flush=True)
        return {"rows": rows, "baseline": describe(b_threads), "gateway": describe(g_threads)}
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def _key(instance: dict) -> str:
    """Start once to create the benchmark's endpoint and key."""
    proc = start_minapi(instance, 8)[0]
    stop(proc)
    return instance["key"]


def verdict(result: dict) -> bool:
    rows = result["rows"]
    posts = [r for r in rows if r["method"] == "POST"]
    best = max(r["baseline"]["rps"] for r in posts)
    sat = next(r for r in posts if r["baseline"]["rps"] >= 0.95 * best)
    get = next(r for r in rows if r["method"] == "GET" and r["connections"] == sat["connections"])
    ok = sat["ratio"] >= 0.8 and get["ratio"] >= 0.8 and sat["gateway"]["p99_ms"] <= 50
    print(f"{sat['db']} (baseline {result['baseline']}, gateway {result['gateway']}): saturating load "
          f"{sat['connections']} connections: gateway POST p99 {sat['gateway']['p99_ms']:.1f} ms (target <= 50), "
          f"GET ratio {get['ratio']:.2f} (target >= 0.80), POST ratio {sat['ratio']:.2f} (target >= 0.80) -> "
          f"{'MET' if ok else 'NOT MET'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", default="4,8,16,32")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per figure; medians are shown")
    parser.add_argument("--baseline-threads", default="1,4,8",
                        help="the baseline's settings to try: 1 = sync workers, N = gthread with N threads")
    parser.add_argument("--gateway-threads", default="1,4,8",
                        help="minapi serve --threads settings to try (1 = sync workers)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    levels = [int(c) for c in args.connections.split(",")]
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"worker processes per server: {WORKERS}; wrk 2 threads; {args.seconds}s per run, "
          f"{args.rounds} interleaved rounds (medians); {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    results = {db: run_db(db, args.seconds, levels, args.rounds,
                          [int(t) for t in args.baseline_threads.split(",")],
                          [int(t) for t in args.gateway_threads.split(",")]) for db in dbs}
    print()
    ok = all([verdict(r) for r in results.values()])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
