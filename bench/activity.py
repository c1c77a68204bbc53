"""Benchmark: what the activity trail costs a REST and an MCP call (SPEC §10 asks under 5 %).

    python bench/activity.py [--calls 50] [--rounds 40] [--database-url postgresql://…]

One app on SQLite (or on a PostgreSQL database), one account with an MCP key. Calls go
through the Flask test client, so the whole server side of a call (credential, runner, action,
commit, the MCP SDK's handling and its worker thread) runs in this process and nothing else:
the figure is the process's CPU time per call (`time.process_time`), which other load on a
shared machine barely moves, unlike wall-clock time. Four kinds of call: REST read
`GET /api/v1/endpoints`, REST write `POST /api/v1/api_call`, MCP read `endpoints_list`, MCP
write `api_call_post` (JSON-RPC `tools/call` over Streamable HTTP, stateless). One kind at a
time, batches of `--calls` calls alternate with the trail off and on (`ACTIVITY_ENABLED`,
switched between batches: the same app, connections and database server processes serve
both, so neither side gets a luckier placement on the machine), `--rounds` rounds each. A
batch ends by writing the trail rows it left waiting, so it pays for its own rows. The cost is
the median over rounds of on / off, the two batches of a round having run back to back; the
medians per call are printed too. Also times, in process, the AI-control read (freeze +
policy) and the quota headroom of an MCP result, which run whether the trail is on or not.
Run by hand, not in CI.
"""

from __future__ import annotations

import argparse
import gc
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


def make(instance: str, database_url: str | None = None):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench-secret-0123456789abcdef",
                      "BASE_URL": "http://localhost", "RATELIMIT_ENABLED": False,
                      **({"DATABASE_URL": database_url} if database_url else {})})
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"  # a new account each run (a database may be used again)
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


def batch(fn, app, client, key, calls, write) -> float:
    """CPU time per call of `calls` calls, the trail rows they left waiting written at the end:
    each kind of call pays for its own rows, not for those of the batch before it (the trail's
    thread would otherwise write them during whichever batch runs half a second later)."""
    from app.activity import record

    start = time.process_time()
    for i in range(calls):
        fn(client, key, i, write)
    with app.app_context():
        record.flush()
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
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database to use (it is migrated; default: an SQLite file)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as instance:
        app, key, client = make(instance, opts.database_url)
        cases = [("REST read", rest, False), ("REST write", rest, True), ("MCP read", mcp, False),
                 ("MCP write", mcp, True)]
        for case, fn, write in cases:  # warm up: first MCP call starts the SDK's loop
            for state in (False, True):
                app.config["ACTIVITY_ENABLED"] = state
                batch(fn, app, client, key, 5, write)
        # The heap built so far (the app, the SDK) is left out of the garbage collector's full
        # passes, so a full pass, should one come, does not walk it inside one of the batches.
        gc.collect()
        gc.freeze()
        states = {"off": False, "on": True}
        times = {(case, state): [] for case, _, _ in cases for state in states}
        for case, fn, write in cases:  # one kind at a time: no batch pays for another kind's leftovers
            for r in range(opts.rounds):
                order = list(states.items()) if r % 2 == 0 else list(reversed(states.items()))
                for state, enabled in order:
                    app.config["ACTIVITY_ENABLED"] = enabled
                    times[(case, state)].append(batch(fn, app, client, key, opts.calls, write))
        app.config["ACTIVITY_ENABLED"] = True
        print(f"{'call':<12}{'trail off (ms CPU)':>20}{'trail on (ms CPU)':>20}{'cost':>9}")
        costs = {}
        for case, _, _ in cases:
            off, on = (statistics.median(times[(case, s)]) * 1000 for s in ("off", "on"))
            # Each round's two batches ran back to back, so their ratio is free of the machine's
            # slower drifts (a shared VM's speed wanders by 10 % over a minute); the cost is the
            # median of those paired ratios.
            costs[case] = statistics.median(a / b for a, b in zip(times[(case, "on")], times[(case, "off")]))
            costs[case] = (costs[case] - 1) * 100
            print(f"{case:<12}{off:>20.3f}{on:>20.3f}{costs[case]:>8.1f}%")
        for name, seconds in in_process(app, key).items():
            print(f"{name:<16} {seconds * 1e6:.0f} µs CPU per call (in process)")
    worst = max(costs, key=costs.get)
    met = costs[worst] < TARGET
    print(f"activity trail cost: at most {costs[worst]:.1f}% ({worst}); target < {TARGET:.0f}%: "
          f"{'met' if met else 'NOT met'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
