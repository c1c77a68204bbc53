"""Archives in S3-compatible storage: a real moto server on 127.0.0.1, reached through boto3."""

import gzip
import json
import threading
import uuid

import httpx
import pytest

from app.gateway.models import CallLog
from plugins.archives.services import archive_logs
from tests.gateway_helpers import make_owner
from tests.log_helpers import backdate, days_ago, deployed, log_id

boto3 = pytest.importorskip("boto3")


@pytest.fixture(scope="module")
def s3_url():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        pytest.skip(f"moto[server] is not installed: {exc}")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    starter = threading.Thread(target=server.start, daemon=True)
    starter.start()
    starter.join(20)
    if starter.is_alive():
        pytest.skip("the moto S3 server did not start within 20 s")
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_url, make_app, monkeypatch, tmp_path):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"minapi-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_url)
    client.create_bucket(Bucket=bucket)
    app = make_app(ARCHIVE_URL=f"s3://{bucket}/logs/", S3_ENDPOINT_URL=s3_url)
    assert app.config["ARCHIVE_URL"] == f"s3://{bucket}/logs"
    return app, client, bucket


def keys(client, bucket):
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_archive_download_fetch_and_delete_in_s3(s3):
    app, client, bucket = s3
    owner = make_owner(app.test_client())
    ep = deployed(owner.create_endpoint("Orders"))
    made = [ep.call("POST", key=ep.live, json={"item": f"s3 item {i}"}) for i in range(3)]
    ids = [log_id(r) for r in made]
    day = days_ago(33, hour=8)
    for i, log in enumerate(ids):
        backdate(app, CallLog, [log], created_at=day.replace(minute=i), processed_at=day.replace(minute=i))
    before = [owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": i}).json["logs"][0] for i in ids]
    with app.app_context():
        assert archive_logs() == {"files": 1, "logs": 3, "failed": []}
    date = day.date().isoformat()
    stored = keys(client, bucket)
    assert len(stored) == 2 and all(k.startswith("logs/acc_") for k in stored)
    assert {k.rsplit("/", 1)[1] for k in stored} == {f"{date}.jsonl.gz", f"{date}.csv"}
    jsonl_key = next(k for k in stored if k.endswith(".jsonl.gz"))
    body = client.get_object(Bucket=bucket, Key=jsonl_key)["Body"].read()
    assert [json.loads(line) for line in gzip.decompress(body).decode().splitlines()] == before
    assert owner.api("GET", "/api/v1/logs/lookup", query_string={"log_id": ids[0]}).status_code == 404

    link = owner.api("GET", f"/api/v1/archives/Orders/{date}", query_string={"format": "jsonl"}).json
    assert link["url"].startswith(app.config["S3_ENDPOINT_URL"]) and "Signature=" in link["url"]  # presigned
    got = httpx.get(link["url"], timeout=10)
    assert got.status_code == 200 and got.content == body
    assert f'filename="{ep.slug}-{date}.jsonl.gz"' in got.headers["content-disposition"]
    csv_link = owner.api("GET", f"/api/v1/archives/Orders/{date}", query_string={"format": "csv"}).json["url"]
    assert httpx.get(csv_link, timeout=10).text.splitlines()[0].startswith("id,endpoint_id,environment")

    fetched = owner.api("GET", "/api/v1/logs/archived", query_string={"endpoint": "Orders", "log_id": ids[1]}).json
    assert fetched["logs"] == [before[1]]

    late = ep.call("POST", key=ep.live, json={"item": "late"})
    backdate(app, CallLog, [log_id(late)], created_at=day.replace(minute=30), processed_at=day.replace(minute=30))
    with app.app_context():
        assert archive_logs()["logs"] == 1
    merged = gzip.decompress(client.get_object(Bucket=bucket, Key=jsonl_key)["Body"].read()).decode().splitlines()
    assert [json.loads(line)["id"] for line in merged] == ids + [log_id(late)]

    gone = owner.api("DELETE", f"/api/v1/archives/Orders/{date}")
    assert gone.status_code == 200 and keys(client, bucket) == []
    assert owner.api("GET", "/api/v1/archives").json["archives"] == []
