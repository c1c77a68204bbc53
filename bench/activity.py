"""Benchmark: what the activity trail costs a REST and an MCP call (SPEC §10 asks under 5 %).

    python bench/activity.py [--calls 50] [--rounds 15] [--database-url postgresql://…]

Two apps on SQLite (or one PostgreSQL database), the same in every way but `ACTIVITY_ENABLED`, one account with an MCP key
each. Calls go through the Flask test client, so the whole server side of a call (credential,
runner, action, commit, the MCP SDK's handling and its worker thread) runs in this process and
nothing else: the figure is the process's CPU time per call (`time.process_time`), which other
load on a shared machine barely moves, unlike wall-clock time. Four kinds of call: REST read
`GET /api/v1/endpoints`, REST write `POST /api/v1/api_call`, MCP read `endpoints_list`, MCP write
`api_call_post` (JSON-RPC `tools/call` over Streamable HTTP, stateless). The two apps take turns
in batches of `--calls` for `--rounds` rounds; the median per call is printed with the trail off
and on, and the difference in %. Also times, in process, the AI-control read (freeze + policy)
and the quota headroom of an MCP result, which run whether the trail is on or not.
Run by hand, not in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
# The project, not this folder: bench/mcp.py would hide the `mcp` SDK package the app imports.
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

TARGET = 5.0  # % of a call's CPU time
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json",
               "MCP-Protocol-Version": "2025-11-25"}


def make(instance: str, activity: bool, database_url: str | None = None):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench-secret-0123456789abcdef",
                      "BASE_URL": "http://localhost", "RATELIMIT_ENABLED": False, "ACTIVITY_ENABLED": activity,
                      **({"DATABASE_URL": database_url} if database_url else {})})
    # Two accounts when they share a database, new ones each run (a database may be used again).
    email = f"bench-{'on' if activity else 'off'}-{uuid.uuid4().hex[:8]}@example.com"
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", email, "--password", "bench password 1", "--plan", "enterprise"])
    key = runner.invoke(args=["keys", "create-mcp", email, "--label", "bench"]).stdout.split()[0]
    client = app.test_client()
    resp = client.post("/api/v1/endpoints", json={"name": "Bench"}, headers={"x-api-key": key})
    assert resp.status_code == 201, resp.json
    return app, key, client


def rest(client, key, i, write):
    if write:
        resp = client.post("/api/v1/api_call", json={"endpoint": "Bench", "data": {"n": i}},
                           headers={"x-api-key": key})
    else:
        resp = client.get("/api/v1/endpoints", headers={"x-api-key": key})
    assert resp.status_code == 200, resp.json


def mcp(client, key, i, write):
    params = ({"name": "api_call_post", "arguments": {"endpoint": "Bench", "data": {"n": i}}} if write
              else {"name": "endpoints_list", "arguments": {}})
    resp = client.post("/api/mcp", data=json.dumps({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                                    "params": params}),
                       headers={**MCP_HEADERS, "x-api-key": key})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and '"isError":false' in body.replace(" ", ""), body[:300]


def batch(fn, client, key, calls, write) -> float:
    start = time.process_time()
    for i in range(calls):
        fn(client, key, i, write)
    return (time.process_time() - start) / calls


def in_process(app, key) -> dict:
    """CPU time per call of each added step, alone: the trail's row (its INSERT and what it adds to
    the commit, less an empty commit), the AI-control read, and the quota headroom."""
    from sqlalchemy import text

    from app.activity import record
    from app.auth import mcp_keys
    from app.extensions import db
    from app.safety import controls, headroom

    action = app.extensions["minapi.tools"].get_tool("api_call_post")
    with app.test_request_context("/api/mcp"):
        actor = mcp_keys.resolve(key)
        raw = {"endpoint": "Bench", "environment": "sandbox", "data": {"n": 1}}

        def trail():
            db.session.execute(text("SELECT 1"))
            record.add(action, actor, raw, "mcp")
            db.session.commit()

        def empty():
            db.session.execute(text("SELECT 1"))
            db.session.commit()

        out = {}
        for name, fn in (("trail row", trail), ("empty commit", empty),
                         ("controls read", lambda: controls.load(actor.account_id, actor.credential_id)),
                         ("quota headroom", lambda: headroom.headroom(actor.account_id))):
            start = time.process_time()
            for _ in range(1000):
                fn()
            out[name] = (time.process_time() - start) / 1000
    out["trail row"] -= out.pop("empty commit")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database both apps share (it is migrated; default: SQLite files)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as off_dir, tempfile.TemporaryDirectory() as on_dir:
        apps = {"off": make(off_dir, False, opts.database_url), "on": make(on_dir, True, opts.database_url)}
        cases = [("REST read", rest, False), ("REST write", rest, True), ("MCP read", mcp, False),
                 ("MCP write", mcp, True)]
        for case, fn, write in cases:  # warm up: first MCP call starts the SDK's loop
            for app, key, client in apps.values():
                batch(fn, client, key, 5, write)
        times = {(case, state): [] for case, _, _ in cases for state in apps}
        for r in range(opts.rounds):
            for case, fn, write in cases:
                order = list(apps.items()) if r % 2 == 0 else list(reversed(apps.items()))
                for state, (app, key, client) in order:
                    times[(case, state)].append(batch(fn, client, key, opts.calls, write))
        print(f"{'call':<12}{'trail off (ms CPU)':>20}{'trail on (ms CPU)':>20}{'cost':>9}")
        costs = {}
        for case, _, _ in cases:
            off, on = (statistics.median(times[(case, s)]) * 1000 for s in ("off", "on"))
            costs[case] = (on - off) / off * 100
            print(f"{case:<12}{off:>20.3f}{on:>20.3f}{costs[case]:>8.1f}%")
        app, key, _ = apps["on"]
        for name, seconds in in_process(app, key).items():
            print(f"{name:<16} {seconds * 1e6:.0f} µs CPU per call (in process)")
    worst = max(costs, key=costs.get)
    met = costs[worst] < TARGET
    print(f"activity trail cost: at most {costs[worst]:.1f}% ({worst}); target < {TARGET:.0f}%: "
          f"{'met' if met else 'NOT met'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
