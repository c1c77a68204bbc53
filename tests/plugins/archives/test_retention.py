"""Retention: old sandbox logs and records go, production records stay, short-lived plans' endpoints go."""

import json
from pathlib import Path

from app.gateway.models import CallLog, Endpoint, Record
from plugins.archives.retention import purge_expired
from plugins.archives.services import archive_logs
from tests.gateway_helpers import make_owner
from tests.log_helpers import backdate, days_ago, deployed, log_id


def names(owner):
    return {e["name"] for e in owner.api("GET", "/api/v1/endpoints").json["endpoints"]}


def test_retention(app):
    free = make_owner(app.test_client(), "free@example.com")
    ep = deployed(free.create_endpoint("Orders"))
    old = ep.call("POST", json={"item": "old sandbox"})
    new = ep.call("POST", json={"item": "new sandbox"})
    live = ep.call("POST", key=ep.live, json={"item": "old production"})
    backdate(app, Record, [old.json["id"], live.json["id"]], created_at=days_ago(31), updated_at=days_ago(31))
    backdate(app, CallLog, [log_id(old)], created_at=days_ago(31))
    backdate(app, CallLog, [log_id(live)], created_at=days_ago(29))  # not due for the archive: kept

    doomed = deployed(free.create_endpoint("Doomed"))
    doomed_live = doomed.call("POST", key=doomed.live, json={"item": "archived then deleted"})
    backdate(app, CallLog, [log_id(doomed_live)], created_at=days_ago(40))
    backdate(app, Endpoint, [doomed.info["id"]], created_at=days_ago(8))
    young = free.create_endpoint("Young")
    backdate(app, Endpoint, [young.info["id"]], created_at=days_ago(6))

    paid = make_owner(app.test_client(), "paid@example.com")
    assert app.test_cli_runner().invoke(args=["users", "set-plan", "paid@example.com", "basic"]).exit_code == 0
    kept = paid.create_endpoint("Forever")
    backdate(app, Endpoint, [kept.info["id"]], created_at=days_ago(400))

    with app.app_context():
        assert archive_logs()["logs"] == 1
    archive_root = Path(app.instance_path) / "archives"
    assert list(archive_root.glob(f"*/{doomed.info['id']}/*.jsonl.gz"))
    stats_before = free.api("GET", "/api/v1/stats").json["totals"]

    with app.app_context():
        purged = purge_expired()
    assert purged == {"sandbox_logs": 1, "sandbox_records": 1, "endpoints": 1, "archive_files": 1}
    # Archived, purged and deleted endpoints' calls still count in the month's statistics.
    assert free.api("GET", "/api/v1/stats").json["totals"] == stats_before
    assert ep.call("GET", f"/{old.json['id']}").json["error"]["code"] == "record_not_found"
    assert ep.call("GET", f"/{new.json['id']}").status_code == 200
    assert ep.call("GET", f"/{live.json['id']}", key=ep.live).json["data"] == {"item": "old production"}
    assert free.api("GET", "/api/v1/logs/lookup", query_string={"log_id": log_id(old)}).status_code == 404
    assert free.api("GET", "/api/v1/logs/lookup", query_string={"log_id": log_id(live)}).status_code == 200
    assert names(free) == {"Orders", "Young"} and names(paid) == {"Forever"}
    assert not list(archive_root.glob(f"*/{doomed.info['id']}/*"))
    assert doomed.call("GET").status_code == 404

    with app.app_context():
        assert purge_expired() == {"sandbox_logs": 0, "sandbox_records": 0, "endpoints": 0, "archive_files": 0}


def test_cli_reports_both_steps(app):
    result = app.test_cli_runner().invoke(args=["archive", "run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "archived": {"files": 0, "logs": 0, "failed": []},
        "purged": {"sandbox_logs": 0, "sandbox_records": 0, "endpoints": 0, "archive_files": 0}}
