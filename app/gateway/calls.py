"""One data-plane call, end to end: the gateway's hot path.

A call is first decided, then written. `decide` takes a `Call` (from the HTTP edge, or from
the api_call tools with the owner's key) and returns an `Outcome`: it authenticates, checks
the endpoint, key, rights, rate limit and quota, reads and validates the body, reads what it
must, and gathers every write (the record, the call log, the usage counters, the webhook
job) without making any. `write` then makes them in the caller's transaction: the caller
commits once, so either all of it is kept or none. Gathered this way, the writes go to
PostgreSQL in one round trip, and on SQLite the HTTP edge hands them to `app.writer`'s
group commit; a read's writes the HTTP edge hands to the read log instead, which writes
them in a batch moments after the answer (`app.gateway.read_log`). Alerts the call raises
(`follow_up`) are queued after it. `handle` does all of it in one transaction, for the
api_call tools. Nothing here commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Callable

from app.accounts.models import Account
from app.activity import record as activity
from app.db import new_id, utcnow
from app.errors import AppError
from app.extensions import db
from app.formats import HEADER_NAME, is_http_url, parse_moment, storable_id
from app.gateway import keys as key_service
from app.gateway import records, sql, usage
from app.gateway.fields import check_record, search_source
from app.gateway.models import PRODUCTION, SANDBOX, Endpoint, EndpointKey, config_of
from app.gateway.ratelimit import check_rate
from app.notify import notify_failed_call, notify_usage, usage_alert_possible
from app.safety import headroom
from app.search import searchable_text

MAX_BODY = 100 * 1024
EVENT = {"create": "record.created", "replace": "record.updated", "delete": "record.deleted"}
WRITES = ("create", "replace", "delete")
WEBHOOK_ATTEMPTS = 8


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
    # Filled in while deciding:
    conn: sql.Conn | None = None
    action: str | None = None        # see `action_of`
    now: datetime | None = None
    record: object = None            # the named record, when the key's lookup read it (see `named_record`)
    record_read: bool = False
    payload: dict | None = None      # the parsed body, once read
    payload_json: str | None = None
    payload_text: str | None = None  # the body's words, when the record's index already made them
    cycle_start: datetime | None = None
    account: Account | None = None   # the endpoint owner's
    used: int | None = None          # plan calls this cycle before this one (None: not admitted)
    limit: int = 0
    writes: sql.Writes = field(default_factory=sql.Writes)


@dataclass
class Outcome:
    status: int
    body: dict | None
    headers: dict = field(default_factory=dict)
    log_id: str | None = None
    call: Call | None = None         # set when the call is logged (it has writes to make)


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
    found = key_service.find(call.conn, call.secret or "", call.record_id)
    if found is not None:
        key, endpoint, account, env, record = found
        if endpoint.slug == call.slug:
            call.endpoint, call.key, call.account, call.environment = endpoint, key, account, env
            call.record, call.record_read = record, call.record_id is not None
            return None
    if call.conn.one(sql.ENDPOINT_BY_SLUG, {"slug": call.slug}) is None:
        return _fail(AppError("No endpoint at this URL.", code="endpoint_not_found", status=404))
    return _fail(AppError("Send a valid data key for this endpoint: Authorization: Bearer tm_test_… or tm_live_….",
                          code="invalid_key", status=401, headers={"WWW-Authenticate": "Bearer"}))


def admit(call: Call) -> None:
    """The checks before any work, in the SPEC's order; raises AppError. Notes the plan usage
    the call will be charged against (see `gather_log`)."""
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
    call.used, call.limit = usage.check_quota(call.conn, call.account, call.cycle_start)


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
    """Do the reads and gather the record's write; returns (status, answer, stored data for the
    webhook, record id)."""
    endpoint_id, env = call.endpoint.id, call.environment
    if action in ("create", "replace"):
        data = call.payload
        problems = check_record(config.get("fields") or [], data)
        if problems:
            raise AppError("The record does not match the endpoint's fields.", code="validation_failed",
                           details=problems)
        source = search_source(config.get("fields") or [], data)
        text = searchable_text(source)
        if source is data:  # the whole record is indexed: its log's text starts from the same words
            call.payload_text = text
        call.payload_json = sql.stored_json(data)  # serialised once, for the record and its log
        if action == "create":
            body = records.create(call.writes, data, call.payload_json, text, call.now, env)
            return 201, body, data, body["id"]
        rec = named_record(call)
        return 200, records.replace(call.writes, rec, data, call.payload_json, text, call.now), data, rec.id
    if action == "delete":
        rec = named_record(call)
        records.remove(call.writes, rec)
        return 204, None, None, rec.id
    if action == "get":
        return 200, records.view(named_record(call)), None, call.record_id
    limit = parse_limit(call.query.get("limit"))
    if action == "list":
        return 200, records.page(endpoint_id, env, limit=limit, cursor=call.query.get("cursor")), None, None
    return 200, records.search(endpoint_id, env, call.query.get("q") or "",
                               start=parse_time(call.query, "from"), end=parse_time(call.query, "to"),
                               limit=limit, cursor=call.query.get("cursor")), None, None


def named_record(call: Call):
    """The record the call names, read with the key when it came over HTTP; raises RecordNotFound."""
    if not call.record_read:
        return records.get(call.conn, call.endpoint.id, call.environment, call.record_id)
    if call.record is None:
        raise records.RecordNotFound()
    return call.record


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
        return parse_moment(raw, end=name == "to")  # a date alone: that whole UTC day
    except ValueError:
        raise AppError(f"'{name}' must be an ISO 8601 date or time (years 1 to 9999, UTC).", code="validation_failed",
                       details={name: ["not ISO 8601"]}) from None


def decide(call: Call, conn: sql.Conn) -> Outcome:
    """Everything up to the writes, reading on `conn`: the answer, with the writes gathered on
    `outcome.call`."""
    call.conn, call.now = conn, utcnow()
    refusal = authenticate(call)
    if refusal is not None:
        return refusal
    endpoint, env = call.endpoint, call.environment
    call.writes.params.update(now=call.conn.time(call.now), account_id=endpoint.account_id, endpoint_id=endpoint.id,
                              environment=env, key_id=call.key.id)
    if env == PRODUCTION and endpoint.version == 0:
        return _fail(AppError("This endpoint has not been deployed to production yet.", code="not_deployed",
                              status=403))
    account = call.account
    call.cycle_start = usage.cycle_bounds(account.cycle_started_at or account.created_at, call.now)[0]
    action = call.action = action_of(call)
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
    gather_log(call, action, outcome, data, record_id)
    return outcome


def payload_text(call: Call) -> str:
    if call.payload_text is not None:
        return call.payload_text
    return searchable_text(call.payload or {})


def gather_log(call: Call, action: str, outcome: Outcome, data, record_id) -> None:
    """Add the call log, the counters and the plan charge to the call's writes; note any webhook."""
    endpoint, env = call.endpoint, call.environment
    success = outcome.status < 400
    error = None if success else outcome.body["error"]
    error_code = error and error["code"]
    latency = round((time.perf_counter() - call.started) * 1000, 3)
    conn = call.conn
    outcome.log_id, outcome.call = new_id("log"), call
    target = webhook_target(call) if success and action in WRITES else None
    call.writes.add(sql.INSERT_LOG, log_id=outcome.log_id, method=call.method, action=action, record_id=storable_id(record_id),
                    via=call.via, status_code=outcome.status, outcome="success" if success else "failed",
                    error_code=error_code, latency_ms=latency,  # a failure keeps its message and details:
                    error=error and sql.stored_json({"message": error["message"], "details": error.get("details")}),
                    payload=call.payload_json or sql.stored_json(call.payload),
                    query=sql.stored_json(call.query or None), webhook_status="pending" if target else None,
                    log_text=" ".join(filter(None, [call.method, action, record_id, error_code,
                                                    payload_text(call)]))[:20_000])
    if outcome.status == 429:  # refused for rate or quota: logged, not charged
        call.used = None
    usage.count(call.writes, conn, now=call.now, success=success, write=action in WRITES, latency_ms=latency,
                charge_cycle=call.cycle_start if call.used is not None else None,
                overage=call.used is not None and call.used >= call.limit)
    if success and env == SANDBOX and not endpoint.sandbox_succeeded:
        call.writes.add(sql.MARK_SANDBOX_SUCCEEDED, yes=True)
    if target:  # the delivery job commits with the write (SPEC §2)
        call.writes.add(sql.INSERT_WEBHOOK_JOB, job_attempts=WEBHOOK_ATTEMPTS, job_payload=sql.stored_json({
            "log_id": outcome.log_id, "endpoint_id": endpoint.id, "environment": env, "url": target["url"],
            "auth_header": target.get("auth_header"), "auth_value": target.get("auth_value"),
            "event": {"type": EVENT[action], "endpoint": endpoint.slug, "environment": env,
                      "record_id": record_id, "data": data, "occurred_at": records.iso(call.now)}}))


def write(outcome: Outcome) -> None:
    """Make the writes `decide` gathered, in the caller's transaction. Nothing to do for a call
    refused before it reached an endpoint (not logged)."""
    if outcome.call is not None:
        outcome.call.conn.write(outcome.call.writes)


def wants_follow_up(outcome: Outcome) -> bool:
    """Whether the call may raise an alert: its plan usage is near the limit, or it failed and its
    endpoint wants to hear of failed calls. Cheap: no database."""
    call = outcome.call
    if call is None:
        return False
    if call.used is not None and usage_alert_possible(call.used + 1, call.limit):
        return True
    return failed_call_alert_wanted(call, outcome)


def failed_call_alert_wanted(call: Call, outcome: Outcome) -> bool:
    return outcome.status >= 400 and bool((config_of(call.endpoint, call.environment) or {}).get(
        "notifications", {}).get("on_failed_call"))


def follow_up(outcome: Outcome) -> None:
    """Queue the alerts the call raises (after its writes; the caller commits)."""
    call = outcome.call
    if call.used is not None:
        notify_usage(call.account.id, call.used + 1, call.limit, cycle_start=call.cycle_start)
    if failed_call_alert_wanted(call, outcome):
        notify_failed_call(SimpleNamespace(id=outcome.log_id, endpoint_id=call.endpoint.id,
                                           environment=call.environment))


def handle(call: Call) -> Outcome:
    """Decide, write and follow up, all in the session's transaction (the api_call tools). A
    logged call's writes also carry the running action's activity row: the action ends as the
    call did (it raises the call's error, keeping the log), and the row needs no round trip of
    its own."""
    outcome = decide(call, sql.Conn.of_session())
    if outcome.call is not None:
        headroom.mark_counted()
        error = outcome.body["error"]["code"] if outcome.status >= 400 else None
        row = activity.claim(outcome.status, error, outcome.call.conn)
        if row is not None:
            outcome.call.writes.add(activity.JOINED, **row)
    write(outcome)
    if wants_follow_up(outcome):
        follow_up(outcome)
    return outcome
