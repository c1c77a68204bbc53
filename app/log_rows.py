"""A call log as a flat, JSON-ready row: what the logs tools return and the archive files hold.

The same row serves the hot table (`logs_lookup`, `logs_search`) and the archives
(`.jsonl.gz` lines, `.csv` columns, `logs_fetch_archived`), so a log reads the same
wherever it lives. Key names are resolved when the row is made, so an archived log
still says which key made it after that key is deleted.
"""

from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, fields
from sqlalchemy import select

from app.extensions import db
from app.gateway.models import CallLog, Endpoint, EndpointKey

# New columns go last, so archive CSV files keep their columns' places.
COLUMNS = ("id", "endpoint_id", "environment", "method", "action", "record_id", "key_id", "key", "via",
           "status_code", "outcome", "error_code", "latency_ms", "payload", "query", "webhook_status",
           "webhook_attempts", "webhook_last_status", "webhook_last_error", "created_at", "processed_at",
           "endpoint_name", "endpoint_slug", "error_message", "error_details")
MADE = ("key", "endpoint_name", "endpoint_slug", "error_message", "error_details", "created_at", "processed_at")


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC ISO 8601 (microseconds always shown), so rows sort as strings."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def key_names(key_ids) -> dict:
    ids = {k for k in key_ids if k}
    if not ids:
        return {}
    return dict(db.session.execute(select(EndpointKey.id, EndpointKey.name).where(EndpointKey.id.in_(ids))).all())


def endpoint_names(endpoint_ids) -> dict:
    ids = set(endpoint_ids)
    if not ids:
        return {}
    return {i: (name, slug) for i, name, slug in db.session.execute(
        select(Endpoint.id, Endpoint.name, Endpoint.slug).where(Endpoint.id.in_(ids)))}


def as_rows(logs: list[CallLog]) -> list[dict]:
    names = key_names(log.key_id for log in logs)
    endpoints = endpoint_names(log.endpoint_id for log in logs)
    return [as_row(log, names, endpoints) for log in logs]


WEBHOOK = ("webhook_status", "webhook_attempts", "webhook_last_status", "webhook_last_error")


def as_row(log: CallLog, names: dict, endpoints: dict) -> dict:
    row = {name: getattr(log, name, None) for name in COLUMNS if name not in MADE}
    row["key"] = names.get(log.key_id)  # the owner key is named "owner"
    row["endpoint_name"], row["endpoint_slug"] = endpoints.get(log.endpoint_id, (None, None))
    error = log.error or {}  # a failed call's message and details, as the caller got them
    row["error_message"], row["error_details"] = error.get("message"), error.get("details")
    row["created_at"] = timestamp(log.created_at)
    row["processed_at"] = timestamp(log.processed_at)
    # A call that fired no webhook leaves the webhook fields out: four nulls and a zero a model
    # would read on every log (a CSV archive shows them blank).
    return {name: row[name] for name in COLUMNS if name not in WEBHOOK or log.webhook_status is not None}


class LogRow(Schema):
    id = fields.String(required=True, metadata={"description": "The call log id (log_…)."})
    endpoint_id = fields.String(required=True)
    endpoint_name = fields.String(allow_none=True)
    endpoint_slug = fields.String(allow_none=True)
    environment = fields.String(required=True)
    method = fields.String(required=True)
    action = fields.String(metadata={"description": "create, list, search, get, replace or delete."})
    record_id = fields.String(allow_none=True)
    key_id = fields.String(allow_none=True)
    key = fields.String(allow_none=True, metadata={"description": "The key's name; the owner key is 'owner'."})
    via = fields.String(metadata={"description": "http (a data-plane call) or api_call (a tool call)."})
    status_code = fields.Integer(required=True)
    outcome = fields.String(required=True, metadata={"description": "success or failed."})
    error_code = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True, metadata={"description": "What the caller was told."})
    error_details = fields.Raw(allow_none=True, metadata={
        "description": "validation_failed: each failed field and what is wrong with it."})
    latency_ms = fields.Float()
    payload = fields.Raw(allow_none=True, metadata={"description": "The request body, if any."})
    query = fields.Raw(allow_none=True, metadata={"description": "The query-string parameters, if any."})
    webhook_status = fields.String(allow_none=True, metadata={
        "description": "pending, delivered or failed; the webhook fields are left out when the call fired none."})
    webhook_attempts = fields.Integer()
    webhook_last_status = fields.Integer(allow_none=True)
    webhook_last_error = fields.String(allow_none=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    processed_at = fields.String(required=True, metadata={"format": "date-time"})
