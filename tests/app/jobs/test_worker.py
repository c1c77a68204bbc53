"""The job worker through its public edges: a plugin's action enqueues, `minapi worker` runs."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app import PluginError, create_app
from app.db import utcnow
from app.extensions import db
from app.jobs import enqueue
from app.jobs.models import Job, JobSchedule
from app.jobs.queue import retry_delay
from app.jobs.worker import Worker
from tests.conftest import base_config, mcp_key
from tests.receivers import wait_until
from tests.sample_plugins import TEST_JOBS


@pytest.fixture
def jobs_app(make_app, fake_plugin, tmp_path):
    name, _ = fake_plugin(TEST_JOBS)
    # A retry comes 1.1-1.9 s after a failure: a burst on a busy machine ends before it is due.
    app = make_app(PLUGINS=f"builtin,{name}", JOB_BACKOFF_BASE=1.5, JOB_BACKOFF_MAX=1.5,
                   TICK_PATH=str(tmp_path / "ticks"))
    app.key = mcp_key(app)
    return app


def queue(app, kind, payload=None, abort=False):
    resp = app.test_client().post("/api/v1/testjobs", json={"kind": kind, "payload": payload or {}, "abort": abort},
                                  headers={"x-api-key": app.key})
    return resp


def burst(app) -> int:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return int(result.output.split()[1])


def job(app, job_id) -> Job:
    with app.app_context():
        found = db.session.get(Job, job_id)
        db.session.expunge(found)
        return found


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def run_until(app, job_id, status, timeout=10):
    def check():
        burst(app)
        return job(app, job_id).status == status
    wait_until(check, timeout=timeout, interval=0.02, message=f"job {job_id} to be {status}")
    return job(app, job_id)


def test_a_job_commits_with_the_action_that_queued_it_or_not_at_all(jobs_app, tmp_path):
    resp = queue(jobs_app, "testjobs.flaky", {"path": str(tmp_path / "log")}, abort=True)
    assert resp.status_code == 409
    with jobs_app.app_context():
        assert db.session.scalar(select(Job).where(Job.kind == "testjobs.flaky")) is None
    resp = queue(jobs_app, "testjobs.flaky", {"path": str(tmp_path / "log")})
    assert resp.status_code == 201
    queued = job(jobs_app, resp.json["id"])
    assert (queued.status, queued.attempts, queued.max_attempts) == ("pending", 0, 3)  # the handler's default


def test_enqueue_refuses_a_kind_nobody_handles(jobs_app):
    with jobs_app.app_context(), pytest.raises(LookupError, match="nope.never"):
        enqueue("nope.never", {})


def test_failing_job_is_retried_with_backoff_until_it_succeeds(jobs_app, tmp_path):
    path = tmp_path / "log"
    job_id = queue(jobs_app, "testjobs.flaky", {"path": str(path), "fail": 2}).json["id"]
    before = utcnow()
    burst(jobs_app)
    first = job(jobs_app, job_id)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "RuntimeError: boom 1")
    assert first.run_at > before and first.locked_by is None
    done = run_until(jobs_app, job_id, "done")
    assert done.attempts == 3 and done.last_error is None and done.finished_at is not None
    assert lines(path) == ["try 1", "failed 1 dead=False boom 1", "try 2", "failed 2 dead=False boom 2", "try 3"]


def test_job_is_dead_after_max_attempts_and_never_runs_again(jobs_app, tmp_path):
    path = tmp_path / "log"
    job_id = queue(jobs_app, "testjobs.flaky", {"path": str(path), "fail": 99}).json["id"]
    dead = run_until(jobs_app, job_id, "dead")
    assert dead.attempts == 3 and dead.last_error == "RuntimeError: boom 3"
    assert lines(path)[-1] == "failed 3 dead=True boom 3"
    burst(jobs_app)
    assert len(lines(path)) == 6


def test_permanent_failure_gives_up_at_once(jobs_app, tmp_path):
    path = tmp_path / "log"
    job_id = queue(jobs_app, "testjobs.hopeless", {"path": str(path)}).json["id"]
    burst(jobs_app)
    dead = job(jobs_app, job_id)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert lines(path) == ["try 1", "failed 1 dead=True this can never work"]


def _as_if_a_worker_died(app, job_id, attempts, minutes_ago):
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="running", attempts=attempts, locked_by="gone:1:abc",
            locked_at=utcnow() - timedelta(minutes=minutes_ago)))
        db.session.commit()


def test_a_job_locked_by_a_dead_worker_is_taken_again_after_the_visibility_timeout(jobs_app, tmp_path):
    path = tmp_path / "log"
    job_id = queue(jobs_app, "testjobs.flaky", {"path": str(path)}).json["id"]
    _as_if_a_worker_died(jobs_app, job_id, attempts=1, minutes_ago=1)
    burst(jobs_app)
    assert job(jobs_app, job_id).locked_by == "gone:1:abc"  # still within the 5-minute visibility timeout
    _as_if_a_worker_died(jobs_app, job_id, attempts=1, minutes_ago=6)
    burst(jobs_app)
    done = job(jobs_app, job_id)
    assert (done.status, done.attempts) == ("done", 2) and done.locked_by != "gone:1:abc"
    assert lines(path) == ["try 2"]


def test_a_job_whose_last_attempt_killed_its_worker_is_dead(jobs_app, tmp_path):
    path = tmp_path / "log"
    job_id = queue(jobs_app, "testjobs.flaky", {"path": str(path)}).json["id"]
    _as_if_a_worker_died(jobs_app, job_id, attempts=3, minutes_ago=6)
    burst(jobs_app)
    dead = job(jobs_app, job_id)
    assert dead.status == "dead" and "worker stopped during the last attempt" in dead.last_error
    assert lines(path) == ["failed 4 dead=True the worker stopped during the last attempt"]


def test_periodic_task_runs_once_per_period_whatever_the_number_of_workers(jobs_app, tmp_path):
    ticks = tmp_path / "ticks"
    burst(jobs_app)
    burst(jobs_app)
    assert lines(ticks) == ["tick"]
    with jobs_app.app_context():
        others = [Worker(jobs_app, worker_id=f"w{i}") for i in range(3)]
        assert [w.schedule_periodic() for w in others] == [[], [], []]  # not due again for an hour
        db.session.execute(update(JobSchedule).values(next_run_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        first, *rest = [w.schedule_periodic() for w in others]
        assert {"jobs.prune", "archives.daily", "testjobs.tick"} <= set(first) and rest == [[], []]
        row = db.session.get(JobSchedule, "testjobs.tick")
        assert row.next_run_at > utcnow() + timedelta(minutes=59)
    burst(jobs_app)
    assert lines(ticks) == ["tick", "tick"]


def test_prune_removes_old_finished_jobs_only(jobs_app, tmp_path):
    ids = [queue(jobs_app, "testjobs.flaky", {"path": str(tmp_path / "log")}).json["id"] for _ in range(3)]
    with jobs_app.app_context():
        long_ago = utcnow() - timedelta(days=8)
        db.session.execute(update(Job).where(Job.id == ids[0]).values(status="done", finished_at=long_ago))
        db.session.execute(update(Job).where(Job.id == ids[1]).values(status="dead", finished_at=long_ago))
        db.session.execute(update(JobSchedule).values(next_run_at=utcnow()))
        db.session.commit()
    burst(jobs_app)
    with jobs_app.app_context():
        left = set(db.session.scalars(select(Job.id).where(Job.id.in_(ids))))
    assert left == {ids[1], ids[2]}  # dead jobs are kept 30 days (a failed webhook can be re-sent)


def test_retry_schedule_is_exponential_with_jitter_and_a_cap():
    base, cap = 30, 43_200
    middle = [retry_delay(n, base=base, cap=cap, rand=0.5) for n in range(1, 8)]
    assert middle == [30, 120, 480, 1920, 7680, 30720, 43200]
    assert retry_delay(1, base=base, cap=cap, rand=0.0) == pytest.approx(22.5)
    assert retry_delay(1, base=base, cap=cap, rand=1.0) == pytest.approx(37.5)
    spread = {retry_delay(3, base=base, cap=cap) for _ in range(50)}
    assert len(spread) > 40 and all(360 <= d <= 600 for d in spread)
    # a webhook's 8 tries, even at the shortest jitter, spread over more than 6 hours
    shortest = sum(retry_delay(n, base=base, cap=cap, rand=0.0) for n in range(1, 8))
    assert shortest > 6 * 3600


@pytest.mark.parametrize("body,message", [
    ('jobs.handler("Bad Kind", lambda job: None)', "must look like 'owner.what'"),
    ('jobs.handler("x.y", lambda job: None, max_attempts=0)', "max_attempts"),
    ('jobs.handler("x.y", "not callable")', "must be functions"),
    ('jobs.handler("webhook.deliver", lambda job: None)', "already registered (plugin 'core.webhooks')"),
    ('jobs.periodic("x.y", lambda job: None, every=timedelta(0))', "positive timedelta"),
])
def test_bad_job_registrations_stop_startup(tmp_path, fake_plugin, body, message):
    name, _ = fake_plugin(f'''
from datetime import timedelta
from app.tools import hookimpl

@hookimpl
def register_jobs(jobs):
    {body}
''')
    with pytest.raises(PluginError, match=f"plugin '{name}'") as info:
        create_app(base_config(tmp_path, PLUGINS=name))
    assert message in str(info.value)


@pytest.mark.parametrize("setting,value", [
    ("JOB_BACKOFF_BASE", "soon"), ("JOB_VISIBILITY_TIMEOUT", 0), ("WEBHOOK_TIMEOUT", 600),
    ("WEBHOOK_ALLOW_PRIVATE", "maybe"), ("SMTP_URL", "http://mail.example.com"), ("SMTP_URL", "smtp://:99999"),
    ("MAIL_FROM", "not an address"), ("TELEGRAM_API_URL", "telegram"),
])
def test_bad_background_settings_stop_startup(tmp_path, setting, value):
    from app import ConfigError

    with pytest.raises(ConfigError, match=setting):
        create_app(base_config(tmp_path, **{setting: value}))


def test_background_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MINAPI_JOB_BACKOFF_BASE", "0.5")
    monkeypatch.setenv("MINAPI_WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("MINAPI_SMTP_URL", "smtps://user:pw@mail.example.com:465")
    app = create_app(base_config(tmp_path, BASE_URL="https://api.example.org"))
    assert app.config["JOB_BACKOFF_BASE"] == 0.5 and app.config["WEBHOOK_ALLOW_PRIVATE"] is True
    assert app.config["MAIL_FROM"] == "minapi <noreply@api.example.org>"
