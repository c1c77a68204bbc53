"""The HTTP view of the data plane: `/api/v1/data/<slug>[/search|/<record_id>]`."""

from __future__ import annotations

import contextlib
import time

from flask import Blueprint, Response, current_app, json, request

from app.body import json_object
from app.errors import AppError, error_response
from app.extensions import csrf, db
from app.gateway.calls import MAX_BODY, Call, handle

bp = Blueprint("gateway", __name__)
ALLOWED = {"collection": ["GET", "POST"], "search": ["GET"], "record": ["GET", "PUT", "DELETE"]}


def bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def webhook_headers() -> dict | None:
    url = request.headers.get("X-Webhook-Callback")
    if not url:
        return None
    return {"url": url.strip(), "auth_value": request.headers.get("X-Webhook-Auth"),
            "auth_header": request.headers.get("X-Webhook-Auth-Header")}


def respond(outcome) -> Response:
    if outcome.body is None:
        resp = Response(status=outcome.status)
    else:
        resp = Response(json.dumps(outcome.body), status=outcome.status, mimetype="application/json")
    resp.headers.update(outcome.headers)
    if outcome.log_id:
        resp.headers["X-Minapi-Log-Id"] = outcome.log_id  # find this call in the logs
    return resp


def run(kind: str, slug: str, record_id: str | None = None) -> Response:
    started = time.perf_counter()
    if request.method not in ALLOWED[kind]:
        err = AppError(f"{request.method} is not allowed here.", code="method_not_allowed", status=405,
                       headers={"Allow": ", ".join(ALLOWED[kind])})
        return error_response(err)
    call = Call(method=request.method, slug=slug, record_id=record_id, search=kind == "search",
                secret=bearer(), query=request.args.to_dict(flat=True), webhook=webhook_headers(),
                read_body=lambda: json_object(max_bytes=MAX_BODY, allow_empty=False), started=started)
    with write_lock():
        try:
            outcome = handle(call)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    return respond(outcome)


def write_lock():
    """On SQLite, one write transaction at a time per process, queued on a mutex.

    SQLite has one writer; without this, threads of one process collide on its lock and wait in
    its busy handler, which sleeps in steps of up to 100 ms. PostgreSQL needs no such thing.
    """
    app = current_app._get_current_object()
    lock = app.extensions.get("minapi.sqlite_write_lock")
    if lock is None:
        return contextlib.nullcontext()
    return lock


@bp.route("/api/v1/data/<slug>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@csrf.exempt
def collection(slug):
    return run("collection", slug)


@bp.route("/api/v1/data/<slug>/search", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@csrf.exempt
def search(slug):
    return run("search", slug)


@bp.route("/api/v1/data/<slug>/<record_id>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
@csrf.exempt
def one(slug, record_id):
    return run("record", slug, record_id)
