"""Webhook delivery end to end: a gateway write queues it, `minapi worker` sends it to a real receiver."""

import signal
from collections import Counter

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app.extensions import db
from app.gateway.models import CallLog
from app.jobs.models import Job
from tests.conftest import ON_POSTGRES
from tests.gateway_helpers import make_owner
from tests.receivers import Receiver, wait_until, worker_env, worker_process


@pytest.fixture
def gateway(make_app):
    """`gateway(**config)`: an app with a signed-up owner (`app.owner`) and an endpoint (`app.endpoint`)."""

    def build(**config):
        config.setdefault("WEBHOOK_ALLOW_PRIVATE", True)
        config.setdefault("JOB_BACKOFF_BASE", 0.05)
        config.setdefault("JOB_BACKOFF_MAX", 0.05)
        app = make_app(**config)
        app.owner = make_owner(app.test_client())
        app.endpoint = app.owner.create_endpoint(fields=[{"name": "item", "type": "string", "required": True}])
        return app
    return build


def configure(app, endpoint=None, **webhook):
    endpoint = endpoint or app.endpoint
    resp = endpoint.owner.api("PATCH", f"/api/v1/endpoints/{endpoint.slug}",
                              json={"environment": "sandbox", "webhook": webhook or None})
    assert resp.status_code == 200, resp.json


def write(app, endpoint=None, *, data=None, **headers) -> dict:
    """POST a record with the sandbox key; returns the ids and the endpoint's webhook secret."""
    endpoint = endpoint or app.endpoint
    resp = endpoint.call("POST", json=data or {"item": "book"}, headers=headers)
    return {"status": resp.status_code, "log_id": resp.headers["X-Minapi-Log-Id"],
            "record_id": (resp.json or {}).get("id"), "secret": endpoint.info["webhook_secret"],
            "slug": endpoint.slug}


def burst(app):
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def call_log(app, log_id) -> CallLog:
    with app.app_context():
        log = db.session.scalar(select(CallLog).where(CallLog.id == log_id))
        db.session.expunge(log)
        return log


def webhook_job(app, log_id) -> Job:
    with app.app_context():
        jobs = [j for j in db.session.scalars(select(Job).where(Job.kind == "webhook.deliver"))
                if j.payload["log_id"] == log_id]
        db.session.expunge(jobs[-1])
        return jobs[-1]


def until_log(app, log_id, status, *, worker=True, timeout=20):
    def check():
        if worker:
            burst(app)
        return call_log(app, log_id).webhook_status == status
    wait_until(check, timeout=timeout, message=f"webhook of {log_id} to be {status}")
    return call_log(app, log_id)


def test_signed_delivery_is_retried_after_a_500_and_its_outcome_kept_on_the_log(gateway):
    app = gateway(JOB_BACKOFF_BASE=1, JOB_BACKOFF_MAX=1)  # the retry waits at least 0.75 s
    with Receiver([500]) as receiver:
        configure(app, url=receiver.url + "/hooks?src=minapi", auth_header="X-Api-Token", auth_value="tok-123")
        made = write(app)
        assert made["status"] == 201
        assert call_log(app, made["log_id"]).webhook_status == "pending"
        burst(app)
        first = call_log(app, made["log_id"])
        assert (first.webhook_status, first.webhook_attempts, first.webhook_last_status,
                first.webhook_last_error) == ("pending", 1, 500, "HTTP 500")
        done = until_log(app, made["log_id"], "delivered")
    assert (done.webhook_attempts, done.webhook_last_status, done.webhook_last_error) == (2, 200, None)
    assert len(receiver.requests) == 2
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert ids == {"msg_" + made["log_id"][4:]}  # one id per event, kept across retries
    for request in receiver.requests:
        event = Webhook(made["secret"]).verify(request.body, request.headers)  # the reference verifier
        assert event == {"type": "record.created", "endpoint": made["slug"], "environment": "sandbox",
                         "record_id": made["record_id"], "data": {"item": "book"},
                         "occurred_at": event["occurred_at"]}
        assert event["occurred_at"].endswith("Z")
        assert request.path == "/hooks?src=minapi"
        assert request.headers["x-api-token"] == "tok-123"
        assert request.headers["content-type"] == "application/json"
    assert made["secret"].startswith("whsec_")


def test_every_write_kind_and_the_per_request_callback(gateway):
    app = gateway()
    with Receiver() as configured, Receiver() as per_request:
        configure(app, url=configured.url + "/configured")
        created = write(app)
        app.endpoint.call("PUT", f"/{created['record_id']}", json={"item": "pen"})
        app.endpoint.call("DELETE", f"/{created['record_id']}",
                          headers={"X-Webhook-Callback": per_request.url + "/once", "X-Webhook-Auth": "Bearer abc"})
        assert write(app, data={"qty": 1})["status"] == 400  # a failed write sends nothing
        app.endpoint.call("GET", "")  # nor does a read
        burst(app)
    events = [(r.json["type"], r.json["data"]) for r in configured.requests]
    assert events == [("record.created", {"item": "book"}), ("record.updated", {"item": "pen"})]
    assert [(r.path, r.json["type"], r.json["data"], r.headers["authorization"]) for r in per_request.requests] == [
        ("/once", "record.deleted", None, "Bearer abc")]
    for request in configured.requests + per_request.requests:
        Webhook(created["secret"]).verify(request.body, request.headers)


def test_private_targets_are_refused_unless_allowed(gateway):
    app = gateway(WEBHOOK_ALLOW_PRIVATE=False)
    with Receiver() as receiver:
        configure(app, url=receiver.url.replace("127.0.0.1", "localhost"))
        made = write(app)
        burst(app)
    log = call_log(app, made["log_id"])
    assert receiver.requests == []
    assert log.webhook_status == "failed" and log.webhook_attempts == 1  # no point in retrying
    assert "non-public address" in log.webhook_last_error and "MINAPI_WEBHOOK_ALLOW_PRIVATE" in log.webhook_last_error
    assert webhook_job(app, made["log_id"]).status == "dead"


def test_redirects_are_not_followed(gateway):
    app = gateway(JOB_BACKOFF_BASE=60, JOB_BACKOFF_MAX=60)  # no retry within the burst
    with Receiver([302]) as receiver:
        configure(app, url=receiver.url)
        made = write(app)
        burst(app)
        log = call_log(app, made["log_id"])
        assert (log.webhook_last_status, log.webhook_last_error) == (302, "HTTP 302: redirects are not followed")
        assert len(receiver.requests) == 1


def test_a_delivery_that_failed_for_good_can_be_resent(gateway):
    app = gateway()
    with Receiver([500] * 8) as receiver:
        configure(app, url=receiver.url)
        made = write(app)
        failed = until_log(app, made["log_id"], "failed")
        assert (failed.webhook_attempts, failed.webhook_last_status) == (8, 500)
        assert webhook_job(app, made["log_id"]).status == "dead"
        resent = app.owner.api("POST", f"/api/v1/logs/{made['log_id']}/resend_webhook")
        assert resent.status_code == 200, resent.json
        assert resent.json["logs"][0]["webhook_status"] == "pending"
        done = until_log(app, made["log_id"], "delivered")
    assert done.webhook_attempts == 9
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1  # a re-send is the same message
    assert len(receiver.requests) == 9


def test_resend_is_scoped_to_the_owner_and_to_failed_deliveries(gateway):
    app = gateway()
    eve = make_owner(app.test_client(), email="eve@example.com").create_endpoint(name="Eve's")
    with Receiver() as receiver:
        configure(app, url=receiver.url)
        configure(app, eve, url=receiver.url)
        made = write(app)
        theirs = write(app, eve)
        until_log(app, made["log_id"], "delivered")
    for log_id, status, code in [(made["log_id"], 409, "webhook_not_failed"),
                                 (theirs["log_id"], 404, "log_not_found"), ("log_nothing", 404, "log_not_found")]:
        resp = app.owner.api("POST", f"/api/v1/logs/{log_id}/resend_webhook")
        assert (resp.status_code, resp.json["error"]["code"]) == (status, code)


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_is_replaced_and_the_webhook_still_arrives(gateway):
    app = gateway()
    env = worker_env(app, WEBHOOK_ALLOW_PRIVATE=True, JOB_VISIBILITY_TIMEOUT=1)
    with Receiver(hold=True) as receiver:
        configure(app, url=receiver.url)
        made = write(app)
        with worker_process(env) as first:
            assert receiver.arrived.wait(20), "the first worker never called"
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        stuck = webhook_job(app, made["log_id"])
        assert (stuck.status, stuck.attempts) == ("running", 1)
        receiver.release.set()  # from now on the receiver answers at once
        with worker_process(env):
            done = until_log(app, made["log_id"], "delivered", worker=False)
    job = webhook_job(app, made["log_id"])
    assert (job.status, job.attempts) == ("done", 2) and job.locked_by != stuck.locked_by
    assert len(receiver.requests) == 2  # at least once: the interrupted attempt, then the retry
    assert {r.headers["webhook-id"] for r in receiver.requests} == {"msg_" + made["log_id"][4:]}
    assert done.webhook_attempts == 1  # the killed attempt left no outcome to record


@pytest.mark.slow
def test_sigterm_lets_the_current_delivery_finish(gateway):
    app = gateway()
    with Receiver(hold=True) as receiver:
        configure(app, url=receiver.url)
        made = write(app)
        with worker_process(worker_env(app, WEBHOOK_ALLOW_PRIVATE=True)) as proc:
            assert receiver.arrived.wait(20)
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(Exception):
                proc.wait(0.5)  # still busy with the delivery
            receiver.release.set()
            assert proc.wait(20) == 0
    assert call_log(app, made["log_id"]).webhook_status == "delivered"
    assert len(receiver.requests) == 1


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRES, reason="several workers need PostgreSQL (FOR UPDATE SKIP LOCKED); "
                                            "on SQLite one worker is the supported setup")
def test_two_workers_on_postgres_never_deliver_one_job_twice(gateway):
    app = gateway()
    env = worker_env(app, WEBHOOK_ALLOW_PRIVATE=True)
    with Receiver(delay=0.02) as receiver:
        configure(app, url=receiver.url)
        logs = [write(app)["log_id"] for _ in range(60)]
        with worker_process(env), worker_process(env):
            wait_until(lambda: len(receiver.requests) >= 60, timeout=60, message="60 deliveries")
            wait_until(lambda: all(call_log(app, i).webhook_status == "delivered" for i in logs), timeout=20,
                       message="every log delivered")
    counts = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(counts) == 60 and set(counts.values()) == {1}
    with app.app_context():
        workers = set(db.session.scalars(select(Job.locked_by).where(Job.kind == "webhook.deliver")))
    assert len(workers) == 2  # both took part
