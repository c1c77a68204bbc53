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
