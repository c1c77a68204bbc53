"""The HTTP edge of the data plane: `/api/v1/data/<slug>[/search|/<record_id>]`.

Served by `DataPlane`, a WSGI layer in front of Flask's dispatch, because a data-plane call
needs none of Flask's per-request machinery (cookie sessions, CSRF, the limiter's hooks,
templates): it parses the request with Werkzeug, decides the call, then saves the call's
writes. A write's are committed before the answer (on SQLite through `app.writer`'s group
commit); a read's log and counters wait in the process's read log (`app.gateway.read_log`)
and are written in a batch moments later. Every other path goes on to Flask untouched, once
the reads waiting in this process are written, so that it sees them.
"""

from __future__ import annotations

import json
import logging
import time

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from app.body import json_object, unstorable
from app.errors import AppError
from app.extensions import db
from app.gateway import read_log, sql
from app.gateway.calls import MAX_BODY, Call, decide, follow_up, wants_follow_up, write
from app.writer import group_commit_for, slot_for

log = logging.getLogger(__name__)
PREFIX = "/api/v1/data/"
WEBHOOK_HEADERS = ("X-Webhook-Callback", "X-Webhook-Auth", "X-Webhook-Auth-Header")
WEBHOOK_ENVIRON = tuple("HTTP_" + name.upper().replace("-", "_") for name in WEBHOOK_HEADERS)
ALLOWED = {"collection": ("GET", "POST"), "search": ("GET",), "record": ("GET", "PUT", "DELETE")}


class DataRequest(Request):
    max_content_length = MAX_BODY  # a longer body is refused (413) before it is read whole


def route(path: str) -> tuple[str, str, str | None] | None:
    """(kind, slug, record id) for a data-plane path, or None for any other path."""
    if not path.startswith(PREFIX):
        return None
    parts = path[len(PREFIX):].split("/")
    if len(parts) > 2 or not all(parts):
        return None
    if len(parts) == 1:
        return "collection", parts[0], None
    if parts[1] == "search":
        return "search", parts[0], None
    return "record", parts[0], parts[1]


class DataPlane:
    """WSGI middleware: answers data-plane paths itself and hands every other request to `flask_wsgi`,
    after writing the reads waiting in `reads` (None: every call is written before its answer)."""

    def __init__(self, app, flask_wsgi, reads: read_log.ReadLog | None = None):
        self.app = app
        self.flask_wsgi = flask_wsgi
        self.reads = reads

    def __call__(self, environ, start_response):
        sql.serving_thread()  # every request enters here: its thread may keep a connection (sql.read_one)
        found = route(environ.get("PATH_INFO", ""))
        if found is None:
            if self.reads is not None and self.reads.unwritten():  # logs, usage, stats: as of now
                self.reads.flush_or_log()
            return self.flask_wsgi(environ, start_response)
        started = time.perf_counter()
        request = DataRequest(environ)
        with self.app.app_context():
            response = serve(self.app, request, *found, started=started)
        return response(environ, start_response)


def serve(app, request: Request, kind: str, slug: str, record_id: str | None, *, started: float) -> Answer:
    if request.method not in ALLOWED[kind]:
        return error_response(AppError(f"{request.method} is not allowed here.", code="method_not_allowed",
                                       status=405, headers={"Allow": ", ".join(ALLOWED[kind])}))
    refusal = unstorable_url(request, slug, record_id)
    if refusal is not None:
        return error_response(refusal)

    def new_call():
        return Call(method=request.method, slug=slug, record_id=record_id, search=kind == "search",
                    secret=bearer(request), query=request.args.to_dict(flat=True),
                    webhook=webhook_headers(request), started=started,
                    read_body=lambda: json_object(max_bytes=MAX_BODY, allow_empty=False, req=request))

    try:
        conn, outcome = decide_on_a_live_connection(app, new_call)
        save(app, conn, outcome)
        if wants_follow_up(outcome):  # alerts, rarely: after the call's own commit (or, for a read, put)
            with slot_for(app):
                follow_up(outcome)
                db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(AppError("Something went wrong on our side.", code="internal_error", status=500))
    return Answer(outcome.status, outcome.body, outcome.headers, outcome.log_id)


def unstorable_url(request: Request, slug: str, record_id: str | None) -> AppError | None:
    """A URL or webhook header carrying text no column can hold (NUL) is refused at the edge, before
    it reaches an endpoint (so, like a malformed request, it is not logged)."""
    parts = [("slug", slug), ("record_id", record_id or "")]
    environ = request.environ
    if environ.get("QUERY_STRING") or any(key in environ for key in WEBHOOK_ENVIRON):  # most calls have neither
        parts += [*request.args.items(multi=True), *((name, request.headers.get(name, "")) for name in WEBHOOK_HEADERS)]
    return unstorable(parts)


def decide_on_a_live_connection(app, new_call) -> tuple:
    """(connection, outcome). A kept connection the server has dropped (a restart, an idle
    timeout) fails on its first read, before anything is written: the call is decided again,
    once, on a new one."""
    conn = app.extensions["minapi.data_connections"].get()
    try:
        return conn, decide(new_call(), conn)
    except Exception:
        if not sql.broken(conn.dbapi):
            raise
    conn = app.extensions["minapi.data_connections"].get()  # replaces the broken one
    return conn, decide(new_call(), conn)


def save(app, conn, outcome) -> None:
    """Save the call's writes: a read's (mostly: `read_log.may_wait`) into the read log, to be
    written moments later; any other's committed now, through the group commit on SQLite, in
    this request's own transaction on PostgreSQL, after the reads waiting in this process (so
    that the logs' order, by sequence number, is the order of this process's calls)."""
    if outcome.call is None:
        return  # refused before it reached an endpoint: nothing to log
    reads = app.extensions.get("minapi.read_log")
    if reads is not None:
        if read_log.may_wait(outcome):
            reads.put(outcome.call.writes)
            return
        if reads.unwritten():
            reads.flush_or_log()
    group = group_commit_for(app)
    if group is not None:
        group.commit(outcome.call.writes)
    else:
        write(outcome)
        conn.commit()


def error_response(err: AppError) -> Answer:
    return Answer(err.status, err.to_dict(), err.headers)


class Answer:
    """A data-plane call's answer, as a WSGI app: the status, the JSON body and the headers, sent
    as they are (a werkzeug `Response` cost about as much CPU as the call's key lookup)."""

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, body: dict | None, headers: dict | None = None, log_id: str | None = None):
        self.status = f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"
        self.body = b"" if body is None else json.dumps(body).encode()
        self.headers = [] if body is None else [("Content-Type", "application/json"),
                                                ("Content-Length", str(len(self.body)))]
        self.headers += [(name, str(value)) for name, value in (headers or {}).items()]
        if log_id:
            self.headers.append(("X-Minapi-Log-Id", log_id))  # find this call in the logs

    def __call__(self, environ, start_response):
        start_response(self.status, self.headers)
        return [self.body] if self.body else []


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def webhook_headers(request: Request) -> dict | None:
    url = request.headers.get("X-Webhook-Callback")
    if not url:
        return None
    return {"url": url.strip(), "auth_value": request.headers.get("X-Webhook-Auth"),
            "auth_header": request.headers.get("X-Webhook-Auth-Header")}


def install(app) -> None:
    """Put the data plane in front of the app's dispatch, with its threads' connections and its read log."""
    with app.app_context():
        app.extensions["minapi.data_connections"] = sql.ThreadConnections(db.engine)
    app.wsgi_app = DataPlane(app, app.wsgi_app, read_log.install(app))
