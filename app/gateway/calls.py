"""One data-plane call, end to end: the gateway's hot path.

`handle` takes a `Call` (from the HTTP view, or from the api_call tools with the owner's
key) and returns an `Outcome`. It authenticates, checks the endpoint, key, rights, rate
limit and quota, reads and validates the body, does the work, and writes the call log,
the usage counters and any webhook job, all in the caller's transaction: the caller
commits once, so either all of it is kept or none. Nothing here commits.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from datetime import datetime
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, update

from app.accounts.models import Account
from app.db import new_id, utcnow
from app.errors import AppError
from app.formats import HEADER_NAME, is_http_url, parse_moment
from app.extensions import db
from app.gateway import keys as key_service
from app.gateway import records, sql, usage
from app.gateway.fields import check_record, search_source
from app.gateway.models import PRODUCTION, SANDBOX, Endpoint, EndpointKey, config_of
from app.gateway.ratelimit import check_rate
from app.jobs import enqueue
from app.notify import notify_failed_call, notify_usage
from app.search import searchable_text

MAX_BODY = 100 * 1024
EVENT = {"create": "record.created", "replace": "record.updated", "delete": "record.deleted"}
WRITES = ("create", "replace", "delete")


@dataclass
class Call:
    method: str                      # POST, GET, PUT, DELETE
    slug: str | None = None          # HTTP: the endpoint's slug; the key decides the environment
    record_id: str | None = None
    search: bool = False
    secret: str | None = None        # HTTP: the presented data key
    endpoint: Endpoint | None = None  # api_call: resolved by the tool, with the owner's key
    key: EndpointKey | None = None
    environment: str | None = None
    read_body: Callable[[], dict] | None = None  # raises AppError for a bad body
    query: dict = field(default_factory=dict)
    webhook: dict | None = None      # per-request X-Webhook-* headers
    via: str = "http"
    started: float = field(default_factory=time.perf_counter)
    payload: dict | None = None      # the parsed body, once read
    payload_json: str | None = None
    cycle_start: datetime | None = None
    account: Account | None = None   # the endpoint owner's
    used: int | None = None          # plan calls this cycle before this one (None: not admitted)
    limit: int = 0


@dataclass
class Outcome:
    status: int
    body: dict | None
    headers: dict = field(default_factory=dict)
    log_id: str | None = None


def _fail(err: AppError) -> Outcome:
    return Outcome(err.status, err.to_dict(), dict(err.headers))


def action_of(call: Call) -> str:
    if call.method == "POST":
        return "create"
    if call.method == "PUT":
        return "replace"
    if call.method == "DELETE":
        return "delete"
    return "search" if call.search else ("get" if call.record_id else "list")


def authenticate(call: Call) -> Outcome | None:
    """Fill call.endpoint/key/account/environment from the slug and the key, or say why not (unlogged)."""
    if call.endpoint is not None:
        call.account = db.session.get(Account, call.endpoint.account_id)
        return None
    found = key_service.find(call.secret or "")
    if found is not None:
        key, endpoint, account, env = found
        if endpoint.slug == call.slug:
            call.endpoint, call.key, call.account, call.environment = endpoint, key, account, env
            return None
    if db.session.scalar(select(Endpoint.id).where(Endpoint.slug == call.slug)) is None:
        return _fail(AppError("No endpoint at this URL.", code="endpoint_not_found", status=404))
    return _fail(AppError("Send a valid data key for this endpoint: Authorization: Bearer tm_test_… or tm_live_….",
                          code="invalid_key", status=401, headers={"WWW-Authenticate": "Bearer"}))


def admit(call: Call) -> None:
    """The checks before any work, in the SPEC's order; raises AppError. Notes the plan usage
    the call will be charged against at the end (see `record`)."""
    endpoint, key = call.endpoint, call.key
    if not endpoint.active:
        raise AppError("This endpoint is switched off by its owner.", code="endpoint_inactive", status=403)
    if not key.active:
        raise AppError("This key is deactivated.", code="key_inactive", status=403)
    if not key_service.allows(key, call.method):
        right = key_service.METHOD_RIGHT[call.method]
        raise AppError(f"This key does not have the {right} right.", code="permission_denied", status=403,
                       details={"right": right})
    check_rate(key.id, call.environment)
    call.used, call.limit = usage.check_quota(call.account, call.cycle_start)


def check_webhook_headers(hook: dict | None) -> None:
    """Per-request webhook headers are checked before the write, so a bad one never reaches the worker."""
    if not hook:
        return
    problems = {}
    if not is_http_url(hook["url"]) or len(hook["url"]) > 2000:
        problems["X-Webhook-Callback"] = ["must be an absolute http:// or https:// URL"]
    if hook.get("auth_header") and not HEADER_NAME.match(hook["auth_header"]):
        problems["X-Webhook-Auth-Header"] = ["not a valid header name"]
    if problems:
        raise AppError("The webhook headers are not valid.", code="validation_failed", details=problems)


def webhook_target(call: Call) -> dict | None:
    if call.webhook and call.webhook.get("url"):
        return call.webhook
    return (config_of(call.endpoint, call.environment) or {}).get("webhook")


def perform(call: Call, action: str, config: dict) -> tuple[int, dict | None, dict | None, str | None]:
    """Do the work; returns (status, response body, stored data for the webhook, record id)."""
    endpoint_id, env = call.endpoint.id, call.environment
    if action in ("create", "replace"):
        data = call.payload
        problems = check_record(config.get("fields") or [], data)
        if problems:
            raise AppError("The record does not match the endpoint's fields.", code="validation_failed",
                           details=problems)
        text = searchable_text(search_source(config.get("fields") or [], data))
        if action == "create":
            call.payload_json = sql.stored_json(data)  # serialised once, for the record and its log
            body = records.create(endpoint_id, env, data, text, call.payload_json)
            return 201, body, data, body["id"]
        rec = records.get(endpoint_id, env, call.record_id)
        return 200, records.replace(rec, data, text), data, rec.id
    if action == "delete":
        rec = records.get(endpoint_id, env, call.record_id)
        records.remove(rec)
        return 204, None, None, rec.id
    if action == "get":
        return 200, records.view(records.get(endpoint_id, env, call.record_id)), None, call.record_id
    limit = parse_limit(call.query.get("limit"))
    if action == "list":
        return 200, records.page(endpoint_id, env, limit=limit, cursor=call.query.get("cursor")), None, None
    return 200, records.search(endpoint_id, env, call.query.get("q") or "",
                               start=parse_time(call.query, "from"), end=parse_time(call.query, "to"),
                               limit=limit, cursor=call.query.get("cursor")), None, None


def parse_limit(raw) -> int:
    if raw in (None, ""):
        return records.DEFAULT_LIMIT
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= records.MAX_LIMIT:
        raise AppError(f"limit must be a whole number from 1 to {records.MAX_LIMIT}.", code="validation_failed",
                       details={"limit": [f"not between 1 and {records.MAX_LIMIT}"]})
    return limit


def parse_time(query: dict, name: str):
    raw = query.get(name)
    if not raw:
        return None
    try:
        return parse_moment(raw)
    except ValueError:
        raise AppError(f"'{name}' must be an ISO 8601 date or time.", code="validation_failed",
                       details={name: ["not ISO 8601"]}) from None


def handle(call: Call) -> Outcome:
    refusal = authenticate(call)
    if refusal is not None:
        return refusal
    endpoint, env = call.endpoint, call.environment
    if env == PRODUCTION and endpoint.version == 0:
        return _fail(AppError("This endpoint has not been deployed to production yet.", code="not_deployed",
                              status=403))
    account = call.account
    call.cycle_start = usage.cycle_bounds(account.cycle_started_at or account.created_at)[0]
    action = action_of(call)
    data, record_id = None, call.record_id
    try:
        admit(call)
        if action in WRITES:
            check_webhook_headers(call.webhook)
        if action in ("create", "replace"):
            call.payload = call.read_body()
        status, body, data, record_id = perform(call, action, config_of(endpoint, env))
        outcome = Outcome(status, body)
    except AppError as err:
        outcome = _fail(err)
    outcome.log_id = record(call, action, outcome, data, record_id)
    return outcome


def record(call: Call, action: str, outcome: Outcome, data, record_id) -> str:
    """Write the call log, the counters, the plan charge and any webhook job, in the call's transaction."""
    endpoint, env = call.endpoint, call.environment
    success = outcome.status < 400
    error_code = None if success else outcome.body["error"]["code"]
    latency = round((time.perf_counter() - call.started) * 1000, 3)
    now, dialect = utcnow(), sql.dialect()
    stamp = sql.stored_time(now, dialect)
    log = {"id": new_id("log"), "account_id": endpoint.account_id, "endpoint_id": endpoint.id,
           "webhook_status": None, "webhook_attempts": 0,
           "environment": env, "method": call.method, "action": action, "record_id": record_id,
           "key_id": call.key.id, "via": call.via, "status_code": outcome.status,
           "outcome": "success" if success else "failed", "error_code": error_code, "latency_ms": latency,
           "payload": call.payload_json or sql.stored_json(call.payload), "query": sql.stored_json(call.query or None),
           "created_at": stamp, "processed_at": stamp,
           "search_text": " ".join(filter(None, [call.method, action, record_id, error_code,
                                                 searchable_text(call.payload or {})]))[:20_000]}
    target = webhook_target(call) if success and action in WRITES else None
    if target:
        log["webhook_status"] = "pending"
    charged = call.used is not None and outcome.status != 429  # refused for rate or quota: not charged
    usage.write_log_and_counters(log, now=now, dialect=dialect, success=success, write=action in WRITES,
                                 latency_ms=latency, charge_cycle=call.cycle_start if charged else None,
                                 overage=charged and call.used >= call.limit)
    if charged:
        notify_usage(call.account.id, call.used + 1, call.limit, cycle_start=call.cycle_start)  # at once below 80 %
    if not success and (config_of(endpoint, env) or {}).get("notifications", {}).get("on_failed_call"):
        notify_failed_call(SimpleNamespace(id=log["id"], endpoint_id=endpoint.id, environment=env))
    if target:
        enqueue("webhook.deliver", {
            "log_id": log["id"], "endpoint_id": endpoint.id, "environment": env, "url": target["url"],
            "auth_header": target.get("auth_header"), "auth_value": target.get("auth_value"),
            "event": {"type": EVENT[action], "endpoint": endpoint.slug, "environment": env,
                      "record_id": record_id, "data": data, "occurred_at": records.iso(now)}}, max_attempts=8)
    if success and env == SANDBOX and not endpoint.sandbox_succeeded:
        db.session.execute(update(Endpoint).where(Endpoint.id == endpoint.id).values(sandbox_succeeded=True))
    return log["id"]
