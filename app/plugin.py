"""The public plugin kit: the one module a minapi plugin imports from core.

Built-in families (`plugins/*`) and third-party plugins alike use only what this module
exports (and their own package); a test parses every built-in family's imports to keep it
so. Anything else in `app.*` may change between releases; what is listed here is the
promise, grouped as the README's plugin section describes it:

- hooks: `hookimpl` (the marker) and `find_archived_logs` (calls the hook of that name)
- the caller: `current_actor`, `session_actor`, `Actor`
- errors: `AppError` and its subclasses, mapped to `{"error": {code, message, details}}`
- shared schema fields: `schemas` (`endpoint_ref`, `environment`, `Page`, `Permissions`, …)
- endpoints: `find_endpoint` (an endpoint of the caller's account by id, slug or name),
  the `endpoints`, `sharing`, `keys` and `visibility` services, the data-plane `Call`/`handle`
- background work: `enqueue`, `JobRun`, `Permanent`, `send_mail`, `resend_webhook`
- safe-AI controls: `is_frozen` (AI writes frozen on an account), `endpoint_allowed` (the caller's
  policy admits an endpoint), `cycle_usage` (the plan's calls used in a cycle)
- data: `db`, the core models and constants, `utcnow`, `UTCDateTime`, `BigId`, `cursors`,
  `log_rows` (a call log as a row), `matches` and `newest_matching` (full-text search), `newest_first`
  (a page by cursor), `parse_moment`
"""

from __future__ import annotations

from flask import current_app

from app import cursors  # noqa: F401  (opaque page cursors)
from app import log_rows  # noqa: F401
from app import shared_schemas as schemas  # noqa: F401
from app.accounts.models import Account  # noqa: F401
from app.accounts.services import check_plan, normalize_email  # noqa: F401
from app.auth.actor import Actor, current_actor, session_actor  # noqa: F401
from app.db import UTCDateTime, utcnow  # noqa: F401
from app.errors import (  # noqa: F401
    AppError, Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationFailed,
)
from app.extensions import db  # noqa: F401
from app.formats import parse_moment  # noqa: F401
from app.gateway import endpoints, keys, sharing, visibility  # noqa: F401
from app.gateway.calls import Call, handle  # noqa: F401
from app.gateway.models import (  # noqa: F401
    ENVIRONMENTS, PRODUCTION, SANDBOX, BigId, CallLog, Endpoint, EndpointKey, Invitation, Record,
    UsageCycle, UsageDaily,
)
from app.gateway.usage import cycle_bounds  # noqa: F401
from app.gateway.visibility import endpoint_for_logs, visible_logs  # noqa: F401
from app.jobs import JobRun, Permanent, enqueue  # noqa: F401
from app.log_rows import COLUMNS, LogRow, as_rows  # noqa: F401
from app.mail import send_mail  # noqa: F401
from app.safety.controls import endpoint_allowed, is_frozen  # noqa: F401
from app.safety.headroom import cycle_usage  # noqa: F401
from app.search import matches, newest_first, newest_matching  # noqa: F401
from app.security import hash_secret, mint  # noqa: F401
from app.tools import hookimpl  # noqa: F401
from app.tools.schemas import Moment  # noqa: F401  (ISO 8601 field; a date alone is the whole UTC day)
from app.webhooks import resend as resend_webhook  # noqa: F401


def find_endpoint(ref: str) -> Endpoint:
    """The calling account's endpoint named by `ref` (its id `ep_…`, slug or name).

    Raises `NotFound` (`endpoint_not_found`) when the caller owns no such endpoint.
    """
    return endpoints.find_owned(current_actor().account_id, ref)


def find_archived_logs(endpoint: Endpoint, *, log_id: str | None = None, record_id: str | None = None,
                       limit: int = 50) -> list[dict]:
    """Archived call-log rows of `endpoint` from whichever plugin keeps archives (the
    `find_archived_logs` hook); an empty list when no enabled plugin does."""
    found = current_app.extensions["minapi.plugins"].hook.find_archived_logs(
        endpoint=endpoint, log_id=log_id, record_id=record_id, limit=limit)
    return found or []
