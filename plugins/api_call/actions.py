"""api_call actions: one data-plane call made with the owner's key, logged and counted like any call."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.plugin import current_actor
from app.plugin import AppError
from app.plugin import sharing
from app.plugin import Call, handle
from app.plugin import schemas as s


class Target(Schema):
    endpoint = s.endpoint_ref()
    environment = s.environment()


class GetArgs(Target):
    record_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                              metadata={"description": "One record (rec_…). Leave out to list or search."})
    query = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                          metadata={"description": "Full-text search words (last 30 days)."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=30))
    cursor = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class PostArgs(Target):
    data = fields.Dict(required=True, metadata={"description": "The record: a JSON object."})


class RecordArgs(Target):
    record_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PutArgs(RecordArgs):
    data = fields.Dict(required=True, metadata={"description": "The whole new record (PUT replaces)."})


class Response(Schema):
    status = fields.Integer(required=True, metadata={"description": "The HTTP status the gateway answered."})
    log_id = fields.String(allow_none=True, metadata={"description": "The call log of this call."})
    body = fields.Raw(allow_none=True, metadata={"description": "The gateway's JSON answer (null for 204)."})


def _call(endpoint: str, environment: str, method: str, **kw) -> dict:
    # The owner calls with the owner key; a collaborator with the key shared with them (its rights apply).
    access = sharing.find_visible(current_actor().account_id, endpoint)
    outcome = handle(Call(method=method, endpoint=access.endpoint, key=access.key, environment=environment,
                          via="api_call", **kw))
    if outcome.status >= 400:
        err = outcome.body["error"]
        # The failed call is logged and counted, like any call: keep that, refuse the tool call.
        details = {**err.get("details", {}), **({"log_id": outcome.log_id} if outcome.log_id else {})}
        raise AppError(err["message"], code=err["code"], status=outcome.status, details=details,
                       keep_changes=outcome.log_id is not None)
    return {"status": outcome.status, "log_id": outcome.log_id, "body": outcome.body}


def get(endpoint: str, environment: str, record_id: str | None, query: str | None, limit: int,
        cursor: str | None) -> dict:
    """Read from your endpoint's data API: one record (record_id), a full-text search (query,
    last 30 days), or the newest records (neither); pages with cursor. Environment sandbox by default.
    Logged and counted like any call. Returns the status and the JSON body."""
    params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
    if query:
        params["q"] = query
    return _call(endpoint, environment, "GET", record_id=record_id, search=bool(query) and not record_id,
                 query=params)


def post(endpoint: str, environment: str, data: dict) -> dict:
    """Create a record in your endpoint (POST), validated against its fields; fires its webhook.
    Environment sandbox by default. Returns the status (201) and the stored record."""
    return _call(endpoint, environment, "POST", read_body=lambda: data)


def put(endpoint: str, environment: str, record_id: str, data: dict) -> dict:
    """Replace a record of your endpoint (PUT: the whole record), validated like POST. Environment
    sandbox by default. Returns the status and the stored record."""
    return _call(endpoint, environment, "PUT", record_id=record_id, read_body=lambda: data)


def delete(endpoint: str, environment: str, record_id: str) -> dict:
    """Delete one record of your endpoint (DELETE), through its gateway; this runs your API's delete,
    it never deletes the endpoint. Environment sandbox by default. Returns the status (204)."""
    return _call(endpoint, environment, "DELETE", record_id=record_id)
