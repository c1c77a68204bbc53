"""Archiving back-dated production logs into a local folder: files, listing, signed downloads,
logs_fetch_archived, idempotent re-runs, and no log lost when a file cannot be written."""

import csv
import gzip
import io
import json
import types
from datetime import timedelta
from pathlib import Path

import pytest

from app.gateway.models import CallLog
from plugins.archives import storage as storage_module
from plugins.archives.services import archive_logs
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call, tool_error
from tests.log_helpers import backdate, days_ago, deployed, log_id


def archive(app, now=None):
    """What the worker runs daily."""
    with app.app_context():
        return archive_logs(now)


def lookup(owner, log):
    return owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": log})


def move(app, ids, day_start, step=timedelta(seconds=1)):
    for i, log in enumerate(ids):
        moment = day_start + i * step
        backdate(app, CallLog, [log], created_at=moment, processed_at=moment + timedelta(milliseconds=5))


@pytest.fixture
def world(app):
    """Production calls spread over two old days and today, plus an old sandbox call."""
    owner = make_owner(app.test_client())
    ep = deployed(owner.create_endpoint("Orders"))
    live = ep.live
    a = ep.call("POST", key=live, json={"item": 'first, "quoted"\nline', "tags": ["x", 1], "meta": {"k": "v"}})
    rid = a.json["id"]
    ids = {"a": log_id(a), "b": log_id(ep.call("GET", f"/{rid}", key=live)),
           "c": log_id(ep.call("POST", key=live, json={"qty": 3})),
           "d": log_id(ep.call("PUT", f"/{rid}", key=live, json={"item": "second"})),
           "e": log_id(ep.call("POST", key=live, json={"item": "other record"})),
           "f": log_id(ep.call("POST", key=live, json={"item": "recent"})),
           "s": log_id(ep.call("POST", json={"item": "old sandbox"}))}
    day1, day2 = days_ago(40, hour=10), days_ago(35, hour=12)
    move(app, [ids["a"], ids["b"], ids["c"]], day1)
    move(app, [ids["d"], ids["e"]], day2)
    move(app, [ids["s"]], day1)
    before = {k: lookup(owner, v).json["logs"][0] for k, v in ids.items()}
    return types.SimpleNamespace(app=app, owner=owner, ep=ep, rid=rid, ids=ids, before=before,
                                 day1=day1.date().isoformat(), day2=day2.date().isoformat())


def files(app, day):
    root = Path(app.instance_path) / "archives"
    (jsonl,) = root.glob(f"acc_*/ep_*/{day}.jsonl.gz")
    return jsonl, jsonl.with_name(f"{day}.csv")


def rows_of(jsonl: Path):
    return [json.loads(line) for line in gzip.decompress(jsonl.read_bytes()).decode().splitlines()]


def download(w, day, fmt="jsonl"):
    resp = w.owner.api("GET", f"/api/v1/archives/Orders/{day}", query_string={"format": fmt})
    assert resp.status_code == 200, resp.json
    return resp.json


def test_archive_run_moves_old_production_logs_into_daily_files(world):
    w = world
    result = w.app.test_cli_runner().invoke(args=["archive", "run"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["archived"] == {"files": 2, "logs": 5, "failed": []}
    assert summary["purged"]["sandbox_logs"] == 1
    # The hot table shrank: only today's production call (and today's sandbox warm-up) remain.
    for k in "abcdes":
        assert lookup(w.owner, w.ids[k]).status_code == 404, k
    assert lookup(w.owner, w.ids["f"]).status_code == 200
    production = w.owner.api("GET", "/api/v1/logs", query_string={"environment": "production"}).json["logs"]
    assert [log["id"] for log in production] == [w.ids["f"]]
    # The files hold exactly the logs as they were, oldest first; the sandbox call is not archived.
    jsonl1, csv1 = files(w.app, w.day1)
    assert rows_of(jsonl1) == [w.before[k] for k in "abc"]
    assert rows_of(files(w.app, w.day2)[0]) == [w.before[k] for k in "de"]
    table = list(csv.DictReader(io.StringIO(csv1.read_text())))
    assert [r["id"] for r in table] == [w.ids[k] for k in "abc"]
    assert json.loads(table[0]["payload"]) == w.before["a"]["payload"]
    assert table[0]["status_code"] == "201" and table[2]["error_code"] == "validation_failed"
    assert table[1]["payload"] == "" and table[0]["key"] == "owner"


def test_listing_fetching_and_signed_downloads(world):
    w = world
    archive(w.app)
    listing = w.owner.api("GET", "/api/v1/archives").json
    assert [(a["date"], a["rows"], a["endpoint"]) for a in listing["archives"]] == [
        (w.day2, 2, w.ep.slug), (w.day1, 3, w.ep.slug)]
    assert listing["archives"][0]["bytes"]["jsonl"] > 0 and listing["archives"][0]["bytes"]["csv"] > 0
    page = w.owner.api("GET", "/api/v1/archives", query_string={"endpoint": "Orders", "limit": 1}).json
    rest = w.owner.api("GET", "/api/v1/archives", query_string={"cursor": page["next_cursor"]}).json
    assert [a["date"] for a in page["archives"] + rest["archives"]] == [w.day2, w.day1] and not rest["has_more"]

    got = w.owner.api("GET", "/api/v1/logs/archived", query_string={"endpoint": "Orders", "log_id": w.ids["a"]})
    assert got.status_code == 200 and got.json["logs"] == [w.before["a"]]
    by_record = w.owner.api("GET", "/api/v1/logs/archived", query_string={"endpoint": w.ep.slug, "record_id": w.rid})
    assert [log["id"] for log in by_record.json["logs"]] == [w.ids[k] for k in "dba"]
    missing = w.owner.api("GET", "/api/v1/logs/archived", query_string={"endpoint": "Orders", "log_id": w.ids["f"]})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "log_not_found"

    link = download(w, w.day1)
    assert link["filename"] == f"{w.ep.slug}-{w.day1}.jsonl.gz" and link["rows"] == 3
    resp = w.owner.client.get(link["url"])
    assert resp.status_code == 200 and resp.mimetype == "application/gzip"
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert resp.data == files(w.app, w.day1)[0].read_bytes()
    text = w.owner.client.get(download(w, w.day1, "csv")["url"])
    assert text.status_code == 200 and text.mimetype == "text/csv"
    assert text.data == files(w.app, w.day1)[1].read_bytes()
    nothing = w.owner.api("GET", "/api/v1/archives/Orders/2001-01-01")
    assert nothing.status_code == 404 and nothing.json["error"]["code"] == "archive_not_found"


def test_tampered_and_expired_links_are_refused(world, monkeypatch):
    w = world
    archive(w.app)
    url = download(w, w.day1)["url"]
    base, query = url.split("?")
    sig = query.split("signature=")[1]
    forged = [url.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:]),
              url.replace(w.day1, w.day2),
              url.replace(".jsonl.gz", ".csv"),
              url.replace("expires=", "expires=9"),
              base,
              base + "?expires=abc&signature=" + sig]
    for bad in forged:
        resp = w.owner.client.get(bad)
        assert resp.status_code == 403, bad
        assert resp.json["error"]["code"] == "invalid_signature"
    real_time = storage_module.time.time
    monkeypatch.setattr(storage_module, "time", types.SimpleNamespace(time=lambda: real_time() - 16 * 60))
    stale = download(w, w.day1)["url"]
    monkeypatch.undo()
    resp = w.owner.client.get(stale)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "link_expired"


def test_reruns_merge_into_the_days_file_without_duplicates(world):
    w = world
    assert archive(w.app)["logs"] == 5
    jsonl1, _ = files(w.app, w.day1)
    first = jsonl1.read_bytes()
    assert archive(w.app) == {"files": 0, "logs": 0, "failed": []}
    assert jsonl1.read_bytes() == first
    late = w.ep.call("POST", key=w.ep.live, json={"item": "late arrival"})
    move(w.app, [log_id(late)], days_ago(40, hour=9))   # earlier that same day
    assert archive(w.app)["logs"] == 1
    rows = rows_of(jsonl1)
    assert [r["id"] for r in rows] == [log_id(late)] + [w.ids[k] for k in "abc"]
    listing = w.owner.api("GET", "/api/v1/archives", query_string={"endpoint": "Orders"}).json["archives"]
    assert {a["date"]: a["rows"] for a in listing} == {w.day1: 4, w.day2: 2}


def test_a_failed_write_loses_no_log(world, monkeypatch):
    w = world

    def broken(self, key, data):
        raise OSError("disk full")

    monkeypatch.setattr(storage_module.LocalStorage, "put", broken)
    result = archive(w.app)
    assert result["logs"] == 0 and len(result["failed"]) == 2
    assert all(lookup(w.owner, w.ids[k]).status_code == 200 for k in "abcde")
    assert w.owner.api("GET", "/api/v1/archives").json["archives"] == []
    cli = w.app.test_cli_runner().invoke(args=["archive", "run"])
    assert cli.exit_code != 0 and "still in the table" in cli.output
    monkeypatch.undo()
    assert archive(w.app)["logs"] == 5
    assert rows_of(files(w.app, w.day1)[0]) == [w.before[k] for k in "abc"]


def test_delete_is_for_people_only(world):
    w = world
    archive(w.app)
    url = download(w, w.day1)["url"]
    key = mcp_key(w.app, "owner@example.com")
    no_ai = w.owner.client.delete(f"/api/v1/archives/Orders/{w.day1}", headers={"x-api-key": key})
    assert no_ai.status_code == 403 and no_ai.json["error"]["code"] == "session_required"
    gone = w.owner.api("DELETE", f"/api/v1/archives/Orders/{w.day1}")
    assert gone.status_code == 200 and gone.json == {"deleted": w.day1, "endpoint_id": w.ep.info["id"]}
    root = Path(w.app.instance_path) / "archives"
    assert not list(root.glob(f"acc_*/ep_*/{w.day1}.*"))
    assert [a["date"] for a in w.owner.api("GET", "/api/v1/archives").json["archives"]] == [w.day2]
    assert w.owner.client.get(url).status_code == 404
    again = w.owner.api("DELETE", f"/api/v1/archives/Orders/{w.day1}")
    assert again.status_code == 404 and again.json["error"]["code"] == "archive_not_found"


def test_archive_tools_through_mcp(world):
    w = world
    archive(w.app)
    key = mcp_key(w.app, "owner@example.com", read_only=True)

    async def go(client):
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = await client.call_tool("archives_list", {"endpoint": "Orders"})
        link = await client.call_tool("archives_download", {"endpoint": "Orders", "date": w.day2, "format": "csv"})
        fetched = await client.call_tool("logs_fetch_archived", {"endpoint": "Orders", "record_id": w.rid})
        bad = await client.call_tool("archives_download", {"endpoint": "Orders", "date": "yesterday"})
        return tools, listed, link, fetched, bad

    with LiveServer(w.app) as server:
        tools, listed, link, fetched, bad = mcp_call(server.url, key, go)
    assert {"archives_list", "archives_download", "logs_fetch_archived"} <= tools and "archives_delete" not in tools
    assert [a["date"] for a in listed.structured_content["archives"]] == [w.day2, w.day1]
    assert link.structured_content["filename"].endswith(f"{w.day2}.csv")
    assert w.owner.client.get(link.structured_content["url"]).status_code == 200
    assert [log["id"] for log in fetched.structured_content["logs"]] == [w.ids[k] for k in "dba"]
    assert tool_error(bad)["code"] == "validation_failed"
