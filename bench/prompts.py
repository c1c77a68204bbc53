"""The seeds' five example prompts, acted out with the MCP SDK client against a live server.

    python bench/prompts.py [--days 6] [--calls 16] [--workers 2]

It makes a fresh instance in a temporary folder (SQLite), serves it with `minapi serve`
(gunicorn, as a user runs it), and fills it as a user's first week would: four endpoints, a
collaboration key, and a few hundred data-plane calls spread over the last `--days` days, about
one in eight failing (missing or mistyped fields, unknown records, a key without the right).
Calls are made today through the real gateway and then moved back to their day (call logs'
times and the daily counters): no public edge can make a call happen yesterday.

Then, for each prompt, it makes the tool calls a model needs (the target: one) with the SDK
client over HTTP, checks that the answer holds what the prompt asks for, and prints the calls
and the bytes each answer returned (its JSON text content; the target: under 4 KB). Exits
non-zero when a target or a check is missed. `tests/bench/test_prompts.py` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
# The project, not this folder, on the path: bench/mcp.py would hide the `mcp` SDK package.
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]
from bench.gateway import BIN, free_port, stop, wait_up  # noqa: E402

EMAIL = "ada@example.com"
MAX_ANSWER = 4096
ENDPOINTS = {  # name: field definitions
    "user-signup": [{"name": "email", "type": "string", "required": True},
                    {"name": "name", "type": "string"}, {"name": "plan", "type": "string"}],
    "orders": [{"name": "item", "type": "string", "required": True, "searchable": True},
               {"name": "qty", "type": "number", "required": True}, {"name": "paid", "type": "boolean"}],
    "contact-form": [{"name": "name", "type": "string", "required": True},
                     {"name": "email", "type": "string", "required": True},
                     {"name": "message", "type": "string", "required": True, "searchable": True}],
    "newsletter": [{"name": "email", "type": "string", "required": True}],
}
GOOD = {
    "user-signup": lambda i: {"email": f"user{i}@example.com", "name": f"User {i}", "plan": "free"},
    "orders": lambda i: {"item": random.choice(["blue widget", "red gadget", "green gizmo"]), "qty": i % 5 + 1,
                         "paid": i % 2 == 0},
    "contact-form": lambda i: {"name": f"Visitor {i}", "email": f"v{i}@example.com",
                               "message": "Hello, do you ship to Norway?"},
    "newsletter": lambda i: {"email": f"reader{i}@example.com"},
}
BAD = {  # a body that fails validation, per endpoint
    "user-signup": lambda i: {"name": f"User {i}"},                       # email missing
    "orders": lambda i: {"item": "blue widget", "qty": "two"},            # qty mistyped
    "contact-form": lambda i: {"name": f"Visitor {i}", "email": 42},      # email mistyped, message missing
    "newsletter": lambda i: {},                                           # email missing
}


@dataclass
class Day:
    date: date
    calls: int = 0
    failures: int = 0


@dataclass
class Seeded:
    key: str                      # the MCP key
    days: list[Day] = field(default_factory=list)

    def through(self, last: date) -> tuple[int, int]:
        """Calls and failures from the 1st of `last`'s month through `last`."""
        days = [d for d in self.days if d.date.replace(day=1) == last.replace(day=1) and d.date <= last]
        return sum(d.calls for d in days), sum(d.failures for d in days)


@dataclass
class Answer:
    prompt: str
    calls: list[str]
    sizes: list[int]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return len(self.calls) == 1 and max(self.sizes) < MAX_ANSWER and not self.problems


# -- a fresh instance, served ------------------------------------------------------------------


@contextmanager
def instance(workers: int = 2):
    """A fresh instance served by `minapi serve` (which applies the migrations), with one account
    and its MCP key made with the CLI; yields (base URL, the app, for moving calls back, MCP key)."""
    folder = tempfile.mkdtemp(prefix="minapi-prompts-")
    port = free_port()
    env = dict(os.environ, MINAPI_INSTANCE_PATH=folder, MINAPI_SECRET_KEY="bench-prompts-secret-0123456789",
               MINAPI_BASE_URL=f"http://127.0.0.1:{port}", MINAPI_DATA_RATE_LIMIT="10000/second")
    env.pop("MINAPI_DATABASE_URL", None)
    proc = subprocess.Popen([os.path.join(BIN, "minapi"), "serve", "--port", str(port), "--workers", str(workers),
                             "--no-worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    app = None
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url + "/api/v1/help", proc, timeout=60)
        app = local_app(env)
        yield url, app, cli(app, "users", "create", EMAIL, "--password", "correct horse battery") and \
            cli(app, "keys", "create-mcp", EMAIL, "--label", "prompts").splitlines()[0]
    finally:
        stop(proc)
        if app is not None:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def local_app(env: dict):
    """The same instance opened in this process: the CLI runs here, and calls are moved back here."""
    from app import create_app

    return create_app({"INSTANCE_PATH": env["MINAPI_INSTANCE_PATH"], "SECRET_KEY": env["MINAPI_SECRET_KEY"],
                       "BASE_URL": env["MINAPI_BASE_URL"]})


def cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    if result.exit_code:
        raise RuntimeError(f"minapi {' '.join(args)} failed: {result.output}")
    return result.stdout.strip()


def http(method: str, url: str, body=None, headers: dict | None = None) -> tuple[int, dict | None]:
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


# -- a first week of use -----------------------------------------------------------------------


def seed(url: str, app, key: str, days: int, calls: int) -> Seeded:
    """Endpoints made through the management API with the MCP key, then `calls` data-plane calls per
    endpoint per day, oldest day first, each day's moved back once made."""
    random.seed(16)
    mgmt = {"x-api-key": key}
    keys = {}
    for name, fields in ENDPOINTS.items():
        status, body = http("POST", f"{url}/api/v1/endpoints", {"name": name, "fields": fields}, mgmt)
        assert status == 201, body
        keys[name] = (body["slug"], body["owner_keys"]["sandbox"])
    status, body = http("POST", f"{url}/api/v1/collaborators/orders/keys", {
        "name": "warehouse", "permissions": {"create": False, "read": True, "update": False, "delete": False}}, mgmt)
    assert status == 201, body
    warehouse = body["keys"]["sandbox"]
    seeded, today = Seeded(key), time_now().date()
    for back in range(days - 1, -1, -1):
        day = Day(today - timedelta(days=back))
        mark = last_log_seq(app)
        for name, (slug, owner) in keys.items():
            for i in range(calls):
                status = one_call(url, slug, owner, warehouse if name == "orders" else None, name, i)
                day.calls += 1
                day.failures += status >= 400
        if back:
            logged(app, mark, day.calls)
            move_back(app, mark, back)
        seeded.days.append(day)
    return seeded


def one_call(url: str, slug: str, owner: str, other: str | None, name: str, i: int) -> int:
    """A call as a week of traffic has them: mostly good writes and reads, some failures."""
    data = f"{url}/api/v1/data/{slug}"
    auth = {"Authorization": f"Bearer {owner}"}
    kind = i % 8
    if kind == 7:  # one in eight fails: validation, an unknown record, or a key without the right
        choice = (i // 8) % 3
        if choice == 0 or other is None and choice == 2:
            return http("POST", data, BAD[name](i), auth)[0]
        if choice == 1:
            return http("GET", f"{data}/rec_doesnotexist0000", None, auth)[0]
        return http("POST", data, GOOD[name](i), {"Authorization": f"Bearer {other}"})[0]
    if kind in (3, 6):
        return http("GET", data + "?limit=5", None, auth)[0]
    return http("POST", data, GOOD[name](i), auth)[0]


def time_now():
    from app.db import utcnow

    return utcnow()


def last_log_seq(app) -> int:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.gateway.models import CallLog

    with app.app_context():
        return db.session.scalar(select(func.max(CallLog.seq))) or 0


def logged(app, after_seq: int, calls: int, timeout: float = 10.0) -> None:
    """Wait until the server has written the logs of the day's `calls` (every one reaches its
    endpoint, so every one is logged): its workers write a read's log a moment after answering
    it (app/gateway/read_log.py)."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.gateway.models import CallLog

    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            written = db.session.scalar(select(func.count()).select_from(CallLog).where(CallLog.seq > after_seq))
        if written >= calls or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def move_back(app, after_seq: int, days: int) -> None:
    """Move today's calls (logs after `after_seq`, and today's counters) back by `days` days."""
    from sqlalchemy import select

    from app.extensions import db
    from app.gateway.models import CallLog, UsageDaily

    shift = timedelta(days=days)
    with app.app_context():
        for log in db.session.scalars(select(CallLog).where(CallLog.seq > after_seq)):
            log.created_at, log.processed_at = log.created_at - shift, log.processed_at - shift
        today = time_now().date()
        for row in db.session.scalars(select(UsageDaily).where(UsageDaily.day == today)):
            row.day = today - shift
        db.session.commit()


# -- the prompts -------------------------------------------------------------------------------


async def act(client, seeded: Seeded) -> list[Answer]:
    """Each prompt as a model would serve it: the tool calls it needs, then checks on the answer."""
    yesterday = (time_now() - timedelta(days=1)).date()
    answers = []

    async def ask(prompt: str, plan: list[tuple[str, dict]], check) -> None:
        results = []
        for tool, args in plan:
            result = await client.call_tool(tool, args)
            results.append(result)
        sizes = [len(r.content[0].text.encode()) if r.content else 0 for r in results]
        problems = [f"{tool} failed: {r.content[0].text}" for (tool, _), r in zip(plan, results) if r.is_error]
        if not problems:
            problems = check([json.loads(r.content[0].text) for r in results])
        answers.append(Answer(prompt, [f"{tool}({json.dumps(args)})" for tool, args in plan], sizes, problems))

    def endpoint_list(out):
        names = {e["name"] for e in out[0]["endpoints"]}
        return [] if names == set(ENDPOINTS) else [f"listed {sorted(names)}"]

    await ask("Show me my API endpoint list.", [("endpoints_list", {})], endpoint_list)

    fields = [{"name": n, "type": "string", "required": True} for n in ("name", "email", "message")]

    def created(out):
        got = out[0]
        problems = [] if [f["name"] for f in got["environments"]["sandbox"]["fields"]] == ["name", "email", "message"] \
            else ["fields not as asked"]
        return problems + ([] if got["owner_keys"]["sandbox"].startswith("tm_test_") else ["no owner keys"])

    await ask("Create an endpoint for customer inquiries with name, email, and message fields.",
              [("endpoints_create", {"name": "customer-inquiries", "description": "Customer inquiries",
                                     "fields": fields})], created)

    failed_yesterday = sum(d.failures for d in seeded.days if d.date == yesterday)

    def failed_calls(out):
        logs = out[0]["logs"]
        want = min(5, failed_yesterday)
        problems = [] if len(logs) == want else [f"{len(logs)} logs, not {want}"]
        for log in logs:
            if log["outcome"] != "failed" or not log["created_at"].startswith(yesterday.isoformat()):
                problems.append(f"{log['id']} is not a failed call of yesterday")
            if not log.get("endpoint_name") or not log.get("error_message"):
                problems.append(f"{log['id']} does not say which endpoint or what went wrong")
            if log["error_code"] == "validation_failed" and not log.get("error_details"):
                problems.append(f"{log['id']} does not name the failed fields")
        return problems

    await ask("Summarize the 5 failed calls from yesterday.",
              [("logs_search", {"status": "failed", "from": yesterday.isoformat(), "to": yesterday.isoformat(),
                                "limit": 5})], failed_calls)

    def usage(out):
        calls, failures = seeded.through(yesterday)
        got = out[0]
        problems = [] if got["to"] == yesterday.isoformat() else [f"counted through {got['to']}"]
        if (got["totals"]["calls"], got["totals"]["failures"]) != (calls, failures):
            problems.append(f"totals {got['totals']} but {calls} calls, {failures} failed were made")
        return problems

    await ask("How much have I used this month, through yesterday?",
              [("stats_get", {"to": yesterday.isoformat()})], usage)

    def invited(out):
        got = out[0]
        problems = [] if got["status"] == "pending" and got["email"] == "chris@example.com" else ["not invited"]
        return problems + ([] if got.get("new_key", {}).get("name") == "chris@example.com" else ["no key made"])

    await ask("Invite chris@example.com as a collaborator on the user-signup endpoint.",
              [("collaborators_invite", {"endpoint": "user-signup", "email": "chris@example.com",
                                         "permissions": {"create": True, "read": True, "update": False,
                                                         "delete": False}})], invited)
    return answers


def prompts(url: str, key: str, seeded: Seeded) -> list[Answer]:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def go():
        async with httpx2.AsyncClient(headers={"x-api-key": key}, timeout=httpx2.Timeout(30.0, read=60.0)) as http_:
            async with Client(streamable_http_client(f"{url}/api/mcp", http_client=http_)) as client:
                return await act(client, seeded)

    return asyncio.run(go())


def run(days: int = 6, calls: int = 16, workers: int = 2) -> tuple[Seeded, list[Answer]]:
    with instance(workers) as (url, app, key):
        seeded = seed(url, app, key, days, calls)
        return seeded, prompts(url, key, seeded)


def report(seeded: Seeded, answers: list[Answer]) -> str:
    total = sum(d.calls for d in seeded.days)
    lines = [f"data: {len(ENDPOINTS)} endpoints, {total} calls over {len(seeded.days)} days, "
             f"{sum(d.failures for d in seeded.days)} failed", ""]
    for a in answers:
        lines.append(f"{'ok  ' if a.ok else 'MISS'} {a.prompt}")
        for call, size in zip(a.calls, a.sizes):
            lines.append(f"       {call}  ->  {size} bytes")
        lines += [f"       ! {p}" for p in a.problems]
    lines.append(f"\n{sum(a.ok for a in answers)}/{len(answers)} prompts in one call, each answer under "
                 f"{MAX_ANSWER} bytes")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=6, help="days of traffic, today included")
    parser.add_argument("--calls", type=int, default=16, help="calls per endpoint per day")
    parser.add_argument("--workers", type=int, default=2)
    opts = parser.parse_args()
    seeded, answers = run(opts.days, opts.calls, opts.workers)
    print(report(seeded, answers))
    return 0 if all(a.ok for a in answers) else 1


if __name__ == "__main__":
    sys.exit(main())
