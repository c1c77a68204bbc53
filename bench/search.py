"""Benchmark: search at a million rows — `logs_search` and the data plane's search and list.

    python bench/search.py [--database-url postgresql://postgres@127.0.0.1:5432/DB] [--rows 1000000]
                           [--first 100000] [--requests 30] [--instance DIR]

One account, one endpoint (deployed; its production owner key), filled with `--first` call logs
and as many records, measured, then grown to `--rows` of each and measured again, so the table
says how each query's cost grows. Default SQLite (a fresh instance folder); with
`--database-url` an empty PostgreSQL database (migrated here; drop and re-create it between runs).

The rows are the gateway's own. Before filling, real calls of each kind are made through the
server (POST ok, POST with a missing field, POST with bad JSON, list, search, get one, get a
missing record, an `api_call` POST); their stored rows are the templates, and the script checks
that recomputing their search text the way the fill does gives exactly what the gateway wrote.
The fill then writes records and logs with the gateway's own statements
(`app.gateway.sql.INSERT_RECORD`, `INSERT_LOG`) and storage forms: `executemany` on SQLite,
followed by the full-text catch-up the group commit runs (`app.search.catch_up_sql`); on
PostgreSQL `COPY` into the same columns (the generated `search_vector` and its GIN index are
kept by the database), then `VACUUM ANALYZE` as autovacuum would. Mix of logs: creates (each
with its record), about 5 % failed calls (validation_failed, invalid_json, record_not_found),
lists, searches, gets, some `api_call` creates; timestamps spread over 60 days (the second fill
spans the same 60 days, so the grown table holds 10x the rows per day); payload words from a
Zipf vocabulary, plus one rare word in 1 row in 50,000.

Each query is then sent `--requests` times through the real server path, in process with the
Flask test client (the whole WSGI stack: data-plane middleware, REST adapter, runner, action,
commit; no network): `GET /api/v1/logs` with an MCP key (`x-api-key`) and
`GET /api/v1/data/<slug>[/search]` with the production data key. Wall-clock p50 and p95 per
query (ms). Target: p95 < 50 ms for every query at both sizes. The verdict is printed last;
the exit status is 1 when a target is missed. Rate limits are off (as in bench/activity.py).
Run by hand, not in CI.

Figures of 2026-12-03 (2 shared CPUs), p95 in ms at 1M rows, SQLite / PostgreSQL 15: logs rare
word 3.7 / 11.9, common word 3.5 / 9.4, status=failed 3.1 / 9.1, word + failed + 7 days
4.9 / 18.6, no query 3.1 / 8.2, page 5 4.6 / 8.0; data search rare 1.9 / 9.5, common 2.3 / 8.0,
list 1.3 / 6.0. Fill 106 s / 140 s. Before issue 15's fixes: SQLite data search for a common
word 899 (103 at 100k), logs common word and page 5 62; PostgreSQL word + failed + 7 days 77.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
# `python bench/search.py` puts bench/ first on sys.path, where bench/mcp.py would hide the mcp SDK.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]
sys.path.insert(0, os.path.dirname(HERE))

TARGET_MS = 50.0
DAYS = 60
RARE = "quokkaberry"          # in 1 row in RARE_EVERY
RARE_EVERY = 50_000
BATCH = 5_000
FIELDS = [{"name": "customer", "type": "string", "required": True},
          {"name": "item", "type": "string", "required": True},
          {"name": "qty", "type": "number", "required": True},
          {"name": "note", "type": "string", "required": False}]
# kind of a call log: share of the logs (the rest are creates with their record)
MIX = [("invalid", 0.03), ("bad_json", 0.005), ("missing", 0.015), ("list", 0.05), ("search", 0.03),
       ("get", 0.03), ("api_create", 0.02)]


# -- vocabulary and payloads ----------------------------------------------------------------------

def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Made-up words (syllables), none of which is the rare word; index 0 is the most common."""
    syll = ["ka", "lo", "mi", "ter", "van", "sol", "rud", "pe", "ix", "bra", "no", "tu", "gel", "fa", "zor", "qui"]
    words: list[str] = []
    seen = {RARE}
    while len(words) < size:
        w = "".join(rng.choice(syll) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Payloads:
    """Record bodies whose words follow a Zipf law (s = 1) over the vocabulary."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words = vocabulary(random.Random(1))
        weights = [1 / (r + 1) for r in range(len(self.words))]
        total = sum(weights)
        self.cum, acc = [], 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.customers = [f"{self.words[i * 7 % 5000]} {self.words[i * 13 % 5000]}" for i in range(2000)]

    def word(self) -> str:
        return self.words[min(bisect.bisect(self.cum, self.rng.random()), len(self.words) - 1)]

    def body(self) -> dict:
        note = " ".join(self.word() for _ in range(self.rng.randint(3, 8)))
        if self.rng.random() < 1 / RARE_EVERY:
            note += " " + RARE
        return {"customer": self.rng.choice(self.customers), "item": f"{self.word()} {self.word()}",
                "qty": self.rng.randint(1, 50), "note": note, "tags": [self.word(), self.word()]}


# -- the app and the real calls -------------------------------------------------------------------

def make_app(instance: str, database_url: str | None):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench-secret-0123456789abcdef",
                      "BASE_URL": "http://localhost", "RATELIMIT_ENABLED": False,
                      **({"DATABASE_URL": database_url} if database_url else {})})
    with app.app_context():
        upgrade()
    return app


def setup_account(app) -> dict:
    """An account with an MCP key and one deployed endpoint; returns the keys and the slug."""
    email = "bench-search@example.com"
    runner = app.test_cli_runner()
    out = runner.invoke(args=["users", "create", email, "--password", "bench password 1", "--plan", "enterprise"])
    assert out.exit_code == 0, out.output
    mcp_key = runner.invoke(args=["keys", "create-mcp", email, "--label", "bench"]).stdout.split()[0]
    client = app.test_client()
    h = {"x-api-key": mcp_key}
    resp = client.post("/api/v1/endpoints", json={"name": "Orders", "fields": FIELDS}, headers=h)
    assert resp.status_code == 201, resp.json
    ep = resp.json
    sandbox = {"Authorization": f"Bearer {ep['owner_keys']['sandbox']}"}
    assert client.post(f"/api/v1/data/{ep['slug']}", json={"customer": "a", "item": "b", "qty": 1},
                       headers=sandbox).status_code == 201
    assert client.post(f"/api/v1/endpoints/{ep['id']}/deploy", headers=h).status_code == 200
    return {"client": client, "mcp": h, "slug": ep["slug"], "endpoint_id": ep["id"],
            "live": {"Authorization": f"Bearer {ep['owner_keys']['production']}"}}


def real_calls(ctx: dict) -> dict:
    """One real production call of each kind; returns {kind: its call_logs row as stored}."""
    c, slug, live = ctx["client"], ctx["slug"], ctx["live"]
    url = f"/api/v1/data/{slug}"
    body = {"customer": "ada lovelace", "item": "blue widget", "qty": 3, "note": "back door", "tags": ["x"]}
    app, rows = ctx["app"], {}

    def call(kind, status, send):
        resp = send()
        assert resp.status_code == status, (kind, resp.status_code, resp.get_data(as_text=True)[:200])
        rows[kind] = newest(app, "call_logs")
        return resp

    rec_id = call("create", 201, lambda: c.post(url, json=body, headers=live)).json["id"]
    record = newest(app, "records")
    assert record["id"] == rec_id and record["search_text"] == record_text(body), "records' search text differs"
    call("invalid", 400, lambda: c.post(url, json={"customer": "ada", "item": "x", "note": "no qty"}, headers=live))
    call("bad_json", 400, lambda: c.post(url, data="{oops", headers={**live, "Content-Type": "application/json"}))
    call("list", 200, lambda: c.get(url, headers=live))
    call("search", 200, lambda: c.get(f"{url}/search?q=widget", headers=live))
    call("get", 200, lambda: c.get(f"{url}/{rec_id}", headers=live))
    call("missing", 404, lambda: c.get(f"{url}/rec_00000000000000000000", headers=live))
    call("api_create", 200, lambda: c.post("/api/v1/api_call", json={"endpoint": slug, "environment": "production",
                                                                      "data": body}, headers=ctx["mcp"]))
    assert rows["api_create"]["via"] == "api_call" and rows["invalid"]["error_code"] == "validation_failed"
    assert rows["bad_json"]["error_code"] == "invalid_json" and rows["missing"]["error_code"] == "record_not_found"
    return rows


def newest(app, table: str) -> dict:
    """The newest row of `table`, as stored."""
    from sqlalchemy import text

    from app.extensions import db

    with app.app_context():
        return dict(db.session.execute(text(f"SELECT * FROM {table} ORDER BY seq DESC LIMIT 1")).mappings().first())


def record_text(data: dict) -> str:
    """A record's search text, as `app.gateway.calls.perform` makes it (checked in `real_calls`)."""
    from app.gateway.fields import search_source
    from app.search import searchable_text

    return searchable_text(search_source(FIELDS, data))


def log_text(method, action, record_id, error_code, payload) -> str:
    """A call log's search text, as `app.gateway.calls.gather_log` makes it (checked in `check_templates`)."""
    from app.search import searchable_text

    return " ".join(filter(None, [method, action, record_id, error_code, searchable_text(payload or {})]))[:20_000]


def check_templates(templates: dict) -> None:
    """The fill recomputes search text as the gateway does: prove it on the real rows."""
    for kind, row in templates.items():
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        made = log_text(row["method"], row["action"], row["record_id"], row["error_code"], payload)
        assert made == row["search_text"], f"{kind}: the fill writes {made!r}, the gateway {row['search_text']!r}"


# -- the fill ---------------------------------------------------------------------------------------

def insert_shape(raw_sql: str) -> tuple[str, list[str], list[str]]:
    """(table, columns, values) of one of the gateway's INSERT statements; a value is `:param` or a literal."""
    m = re.match(r"INSERT INTO (\w+) \(([^)]*)\) VALUES \((.*)\)$", raw_sql.strip(), re.S)
    cols = [c.strip() for c in m.group(2).split(",")]
    vals = [v.strip() for v in m.group(3).split(",")]
    assert len(cols) == len(vals)
    return m.group(1), cols, vals


class Filler:
    """Writes records and call logs in the gateway's storage form, in batches."""

    def __init__(self, app, ctx: dict, templates: dict, start: datetime, postgres: bool):
        from app.gateway import sql

        self.app, self.ctx, self.templates, self.start, self.postgres = app, ctx, templates, start, postgres
        self.sql = sql
        self.kinds = [k for k, _ in MIX]
        self.cum, acc = [], 0.0
        for _, share in MIX:
            acc += share
            self.cum.append(acc)

    def storage_time(self, moment: datetime):
        naive = moment.replace(tzinfo=None)
        return naive if self.postgres else naive.isoformat(" ", "microseconds")

    def kind(self, rng: random.Random) -> str:
        r = rng.random()
        for kind, edge in zip(self.kinds, self.cum):
            if r < edge:
                return kind
        return "create"

    def rows(self, rng: random.Random, payloads: Payloads, moment: datetime):
        """The record and the call log of position `n` (parameter dicts of INSERT_RECORD, INSERT_LOG)."""
        from app.db import new_id

        sql, ctx, now = self.sql, self.ctx, self.storage_time(moment)
        data = payloads.body()
        rec_id = new_id("rec")
        data_json = sql.stored_json(data)
        common = {"endpoint_id": ctx["endpoint_id"], "environment": "production", "now": now}
        record = {**common, "record_id": rec_id, "record_data": data_json,
                  "record_text": record_text(data)}
        kind = self.kind(rng)
        t = self.templates[kind]
        payload, record_id, query = None, None, t["query"]
        if kind in ("create", "api_create"):
            payload, record_id = data, rec_id
        elif kind == "invalid":
            payload = {k: v for k, v in data.items() if k != "qty"}
        elif kind in ("get", "missing"):
            record_id = rec_id if kind == "get" else new_id("rec")
        elif kind == "search":
            query = sql.stored_json({"q": payloads.word()})
        log = {**common, "log_id": new_id("log"), "account_id": t["account_id"], "method": t["method"],
               "action": t["action"], "record_id": record_id, "key_id": t["key_id"], "via": t["via"],
               "status_code": t["status_code"], "outcome": t["outcome"], "error_code": t["error_code"],
               "error": self.json_text(t["error"]), "latency_ms": round(rng.uniform(0.8, 9.0), 3),
               "payload": sql.stored_json(payload), "query": self.json_text(query),
               "log_text": log_text(t["method"], t["action"], record_id, t["error_code"], payload),
               "webhook_status": t["webhook_status"]}
        return record, log

    @staticmethod
    def json_text(value):
        return None if value is None else (value if isinstance(value, str) else json.dumps(value))

    def fill(self, count: int, seed: int) -> float:
        """Write `count` records and call logs, their times spread evenly over DAYS; seconds taken."""
        rng, payloads = random.Random(seed), Payloads(seed)
        span = timedelta(days=DAYS).total_seconds()
        started = time.perf_counter()
        with self.app.app_context():
            from app.extensions import db

            raw = db.engine.raw_connection()
            try:
                done = 0
                while done < count:
                    records, logs = [], []
                    for i in range(done, min(done + BATCH, count)):
                        moment = self.start + timedelta(seconds=span * (i + 0.5) / count)
                        record, log = self.rows(rng, payloads, moment)
                        records.append(record)
                        logs.append(log)
                    self.write(raw, records, logs)
                    done += len(records)
                self.finish(raw)
            finally:
                raw.close()
        return time.perf_counter() - started

    def write(self, raw, records: list, logs: list) -> None:
        cur = raw.cursor()
        if not self.postgres:
            cur.execute("BEGIN")
            cur.executemany(self.sql.INSERT_RECORD.sqlite, records)
            cur.executemany(self.sql.INSERT_LOG.sqlite, logs)
            raw.commit()
            return
        for statement, rows in ((self.sql.INSERT_RECORD, records), (self.sql.INSERT_LOG, logs)):
            table, cols, vals = insert_shape(statement.sqlite)
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[v[1:]] if v.startswith(":") else int(v) for v in vals])
        raw.commit()

    def finish(self, raw) -> None:
        """What the server does with fresh rows: SQLite's full-text catch-up; PostgreSQL's autovacuum."""
        cur = raw.cursor()
        if self.postgres:
            raw.commit()
            raw.driver_connection.autocommit = True
            cur.execute("VACUUM ANALYZE records")
            cur.execute("VACUUM ANALYZE call_logs")
            raw.driver_connection.autocommit = False
            return
        from app.search import catch_up_sql

        cur.execute("BEGIN IMMEDIATE")
        for table in ("records", "call_logs"):
            for statement in catch_up_sql(table):
                cur.execute(statement)
        raw.commit()
        cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- the measurements -----------------------------------------------------------------------------

def queries(ctx: dict, now: datetime, common: str, medium: str) -> list[tuple[str, str, dict]]:
    week = (now - timedelta(days=6)).date().isoformat()
    today = now.date().isoformat()
    data = f"/api/v1/data/{ctx['slug']}"
    mcp, live = ctx["mcp"], ctx["live"]
    return [
        ("logs: rare word", f"/api/v1/logs?query={RARE}", mcp),
        (f"logs: common word ({common})", f"/api/v1/logs?query={common}", mcp),
        ("logs: status=failed", "/api/v1/logs?status=failed", mcp),
        (f"logs: word ({medium}) + failed + 7 days",
         f"/api/v1/logs?query={medium}&status=failed&from={week}&to={today}", mcp),
        ("logs: no query", "/api/v1/logs", mcp),
        (f"logs: page 5 ({common})", "PAGE5", mcp),
        ("data: search rare word", f"{data}/search?q={RARE}", live),
        (f"data: search common word ({common})", f"{data}/search?q={common}", live),
        ("data: list", data, live),
    ]


def page5_url(client, headers, common: str) -> str:
    url = f"/api/v1/logs?query={common}"
    for _ in range(4):
        body = client.get(url, headers=headers).json
        assert body["next_cursor"], "fewer than five pages"
        url = f"/api/v1/logs?query={common}&cursor={body['next_cursor']}"
    return url


def measure(ctx: dict, now: datetime, common: str, medium: str, requests: int) -> dict:
    """{query name: (p50 ms, p95 ms, rows on the first answer)}."""
    client, out = ctx["client"], {}
    for name, url, headers in queries(ctx, now, common, medium):
        if url == "PAGE5":
            url = page5_url(client, headers, common)
        first = client.get(url, headers=headers)  # warm-up, and what it found
        assert first.status_code == 200, (name, first.status_code, first.get_data(as_text=True)[:300])
        found = len(first.json.get("logs", first.json.get("data", [])))
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            resp = client.get(url, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, (name, resp.status_code)
        times.sort()
        out[name] = (statistics.median(times), times[max(0, math.ceil(0.95 * len(times)) - 1)], found)
        print(f"  {name:<44} p50 {out[name][0]:8.1f} ms   p95 {out[name][1]:8.1f} ms   ({found} rows)", flush=True)
    return out


def table(sizes: list[int], results: list[dict], fills: list[float]) -> bool:
    head = "".join(f"{f'{s:,} p50':>14}{'p95':>9}" for s in sizes)
    print(f"\n{'query':<44}{head}{'p50 growth':>12}")
    ok = True
    for name in results[0]:
        cells = ""
        for r in results:
            p50, p95, _ = r[name]
            ok = ok and p95 < TARGET_MS
            cells += f"{p50:>14.1f}{p95:>8.1f}{'*' if p95 >= TARGET_MS else ' '}"
        growth = results[-1][name][0] / max(results[0][name][0], 1e-9)
        print(f"{name:<44}{cells}{growth:>11.1f}x")
    print(f"fill: {sizes[0]:,} records and as many call logs in {fills[0]:.0f} s"
          + "".join(f"; grown to {s:,} each in {t:.0f} s more" for s, t in zip(sizes[1:], fills[1:])))
    print("(* = p95 at or over the target)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="call logs and records at the end")
    parser.add_argument("--first", type=int, default=100_000, help="call logs and records at the first measure")
    parser.add_argument("--requests", type=int, default=30, help="requests per query and size")
    parser.add_argument("--instance", default=None, help="instance folder (SQLite file); default a temporary one")
    args = parser.parse_args()
    engine = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        app = make_app(args.instance or tmp, args.database_url)
        ctx = setup_account(app)
        ctx["app"] = app
        templates = real_calls(ctx)
        check_templates(templates)
        now = datetime.now(timezone.utc)
        start = now - timedelta(days=DAYS)
        filler = Filler(app, ctx, templates, start, engine == "postgresql")
        payloads = Payloads(0)
        common, medium = payloads.words[0], payloads.words[40]
        print(f"{engine}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}; {args.requests} requests per query; "
              f"in process (Flask test client); rare word in 1 row in {RARE_EVERY:,}", flush=True)
        sizes, results, fills = [], [], []
        fills.append(filler.fill(args.first, seed=1))  # then the rest, over the same 60 days
        sizes.append(args.first)
        print(f"filled {args.first:,} records and {args.first:,} call logs in {fills[-1]:.0f} s", flush=True)
        results.append(measure(ctx, now, common, medium, args.requests))
        if args.rows > args.first:
            fills.append(filler.fill(args.rows - args.first, seed=2))
            sizes.append(args.rows)
            print(f"grew to {args.rows:,} records and {args.rows:,} call logs in {fills[-1]:.0f} s more", flush=True)
            results.append(measure(ctx, now, common, medium, args.requests))
        ok = table(sizes, results, fills)
        print(f"\n{engine}: p95 < {TARGET_MS:.0f} ms for every query at every size -> {'MET' if ok else 'NOT MET'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
