"""Source code of third-party plugins used by the tests (installed via the `fake_plugin` fixture)."""

NOTES = '''
from marshmallow import Schema, fields, validate

from app.auth.actor import current_actor
from app.errors import NotFound
from app.tools import hookimpl

STORE = {}


class AddArgs(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=50))
    count = fields.Integer(load_default=1, validate=validate.Range(min=1, max=5))


class Note(Schema):
    text = fields.String()
    count = fields.Integer()
    owner = fields.String()


class NoteName(Schema):
    text = fields.String(required=True)


class Empty(Schema):
    pass


class Listing(Schema):
    notes = fields.List(fields.Nested(Note))


def add(text, count):
    """Add a note for the caller."""
    note = {"text": text, "count": count, "owner": current_actor().account_id}
    STORE.setdefault(note["owner"], {})[text] = note
    return note


def list_notes():
    """List the caller's notes."""
    return {"notes": list(STORE.get(current_actor().account_id, {}).values())}


def purge(text):
    """Delete one of the caller's notes for good."""
    if STORE.get(current_actor().account_id, {}).pop(text, None) is None:
        raise NotFound("No such note.", code="note_not_found")
    return {}


def explode():
    """Fail with an unexpected error."""
    raise RuntimeError("secret internal detail /etc/passwd")


@hookimpl
def register_tools(tools):
    fam = tools.family("notes", summary="Sticky notes, for tests.")
    fam.action(add, kind="write", http="POST /notes", args=AddArgs, returns=Note, status=201)
    fam.action(list_notes, name="list", kind="read", http="GET /notes", args=Empty, returns=Listing)
    fam.action(purge, kind="destructive", http="DELETE /notes/<text>", args=NoteName, returns=Empty)
    fam.action(explode, kind="read", http="GET /notes/explode", args=Empty, returns=Empty)
'''


def registering(body: str) -> str:
    """A plugin whose register_tools runs `body` (with Schema, fields, hookimpl in scope)."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return f'''
from marshmallow import Schema, fields
from app.tools import hookimpl


class S(Schema):
    x = fields.String()


def good():
    """Does something."""
    return {{}}


def nodoc():
    return {{}}


def longdoc():
    return {{}}


longdoc.__doc__ = "x" * 1001


@hookimpl
def register_tools(tools):
{indented}
'''


# A stand-in for the gateway's side of the webhook contract: one call (a CallLog) per request,
# with the `webhook.deliver` job enqueued in the same transaction, as the gateway does.
FAKE_GATEWAY = '''
from marshmallow import Schema, fields
from sqlalchemy import select

from app.auth.actor import current_actor
from app.db import new_id
from app.errors import AppError
from app.extensions import db
from app.gateway.models import CallLog, Endpoint
from app.jobs import enqueue
from app.notify import notify_failed_call
from app.tools import hookimpl
from app.webhooks.signing import new_secret


class CallArgs(Schema):
    url = fields.String(load_default=None)
    auth_header = fields.String(load_default=None)
    auth_value = fields.String(load_default=None)
    config = fields.Dict(load_default=None)
    environment = fields.String(load_default="sandbox")
    failed = fields.Boolean(load_default=False)
    abort = fields.Boolean(load_default=False)


class Call(Schema):
    log_id = fields.String()
    endpoint_id = fields.String()
    record_id = fields.String()
    secret = fields.String()


def call(url, auth_header, auth_value, config, environment, failed, abort):
    """Record one data-plane call like the gateway does, webhook job included."""
    account_id = current_actor().account_id
    endpoint = db.session.scalar(select(Endpoint).where(Endpoint.account_id == account_id))
    if endpoint is None:
        endpoint = Endpoint(account_id=account_id, name="Orders", slug=new_id("orders", 6),
                            webhook_secret=new_secret(), sandbox_config={})
        db.session.add(endpoint)
        db.session.flush()
    if config is not None:
        endpoint.sandbox_config = endpoint.production_config = config
    record_id = new_id("rec")
    log = CallLog(account_id=account_id, endpoint_id=endpoint.id, environment=environment, method="POST",
                  action="create", record_id=record_id, status_code=400 if failed else 201,
                  outcome="failed" if failed else "success", error_code="validation_failed" if failed else None,
                  payload={"item": "book"})
    db.session.add(log)
    db.session.flush()
    if url and not failed:
        enqueue("webhook.deliver", {
            "log_id": log.id, "endpoint_id": endpoint.id, "environment": environment, "url": url,
            "auth_header": auth_header, "auth_value": auth_value,
            "event": {"type": "record.created", "endpoint": endpoint.slug, "environment": environment,
                      "record_id": record_id, "data": {"item": "book"}, "occurred_at": "2026-01-31T12:00:00Z"},
        }, max_attempts=8)
        log.webhook_status = "pending"
    if failed:
        notify_failed_call(log)
    if abort:
        raise AppError("The write failed after the job was queued.", code="aborted", status=409)
    return {"log_id": log.id, "endpoint_id": endpoint.id, "record_id": record_id,
            "secret": endpoint.webhook_secret}


@hookimpl
def register_tools(tools):
    fam = tools.family("fakegw", summary="Data-plane calls, for tests.")
    fam.action(call, kind="write", http="POST /fakegw/calls", args=CallArgs, returns=Call, status=201)
'''


# Job handlers and a periodic task for the worker's own tests; each writes what it does to a file.
TEST_JOBS = '''
from datetime import timedelta

from flask import current_app
from marshmallow import Schema, fields

from app.errors import AppError
from app.jobs import Permanent, enqueue
from app.tools import hookimpl


def note(path, text):
    with open(path, "a") as fh:
        fh.write(text + "\\n")


def flaky(job):
    note(job.payload["path"], f"try {job.attempt}")
    if job.attempt <= job.payload.get("fail", 0):
        raise RuntimeError(f"boom {job.attempt}")


def hopeless(job):
    note(job.payload["path"], f"try {job.attempt}")
    raise Permanent("this can never work")


def failed(job, error, dead):
    note(job.payload["path"], f"failed {job.attempt} dead={dead} {error}")


def tick(job):
    note(current_app.config["TICK_PATH"], "tick")


class EnqueueArgs(Schema):
    kind = fields.String(required=True)
    payload = fields.Dict(load_default=dict)
    abort = fields.Boolean(load_default=False)


class Queued(Schema):
    id = fields.Integer()


def add(kind, payload, abort):
    """Queue a job."""
    job = enqueue(kind, payload)
    if abort:
        raise AppError("Rolled back.", code="aborted", status=409)
    from app.extensions import db

    db.session.flush()
    return {"id": job.id}


@hookimpl
def register_tools(tools):
    fam = tools.family("testjobs", summary="Jobs, for tests.")
    fam.action(add, kind="write", http="POST /testjobs", args=EnqueueArgs, returns=Queued, status=201)


@hookimpl
def register_jobs(jobs):
    jobs.handler("testjobs.flaky", flaky, max_attempts=3, on_failure=failed)
    jobs.handler("testjobs.hopeless", hopeless, on_failure=failed)
    jobs.periodic("testjobs.tick", tick, every=timedelta(hours=1))
'''
