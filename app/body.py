"""Reading a JSON request body, with the SPEC's errors for each way it can be wrong.

Shared by the REST adapter and the data-plane gateway so both refuse bad bodies
with the same codes: 415 `unsupported_media_type`, 413 `payload_too_large`,
400 `invalid_json`, 400 `not_an_object`.
"""

from __future__ import annotations

import json

from flask import request as flask_request
from werkzeug.exceptions import RequestEntityTooLarge

from app.errors import AppError


def json_object(*, max_bytes: int | None = None, allow_empty: bool = True, req=None) -> dict:
    """The body as a dict; `req` is Flask's current request unless given (the data plane's own)."""
    request = req if req is not None else flask_request
    length = request.content_length
    has_body = bool(length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and request.mimetype != "application/json":
        raise AppError("Send the body as application/json.", code="unsupported_media_type", status=415)
    if max_bytes is not None and length is not None and length > max_bytes:
        raise AppError(f"The body is larger than {max_bytes // 1024} KB.", code="payload_too_large", status=413)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise AppError("The body is too large.", code="payload_too_large", status=413) from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise AppError(f"The body is larger than {max_bytes // 1024} KB.", code="payload_too_large", status=413)
    if not raw.strip():
        if allow_empty:
            return {}
        raise AppError("Send a JSON object as the body.", code="not_an_object")
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AppError(f"The body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(value, dict):
        raise AppError("The body must be a JSON object.", code="not_an_object")
    return value
