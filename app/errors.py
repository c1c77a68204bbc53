"""One error type for the whole app, and the one JSON shape every error takes.

Services raise `AppError` (or a subclass) with a stable `code`; the REST adapter,
the MCP adapter and the gateway translate it once. HTTP errors raised by Flask or
Werkzeug (404, 405, 413, ...) and unexpected exceptions are mapped to the same
shape, so a client never sees a stack trace or SQL.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a caller can act on: HTTP status, stable code, message, optional details."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."
    # True when the work done so far must still be committed (e.g. the call log of a failed
    # data-plane call made through a tool); adapters then commit instead of rolling back.
    keep_changes = False

    def __init__(self, message=None, *, code=None, status=None, details=None, headers=None,
                 keep_changes=None):
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        if keep_changes is not None:
            self.keep_changes = keep_changes
        super().__init__(self.message)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class ValidationFailed(AppError):
    status, code, message = 400, "validation_failed", "The input is not valid."


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "Sign in or send a valid key."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(AppError):
    status, code, message = 409, "conflict", "This conflicts with an existing object."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests; slow down."


# Codes for errors Werkzeug raises before our code runs.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_response(err: AppError):
    resp = jsonify(err.to_dict())
    resp.status_code = err.status
    for name, value in err.headers.items():
        resp.headers[name] = value
    return resp


def _from_http(exc: HTTPException) -> AppError:
    status = exc.code or 500
    code = HTTP_CODES.get(status, "http_error" if status < 500 else "internal_error")
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    retry = getattr(exc, "retry_after", None)
    if retry:
        headers["Retry-After"] = str(int(retry) if isinstance(retry, (int, float)) else retry)
    description = exc.description or exc.name
    return AppError(description, code=code, status=status, headers=headers)


JSON_PREFIXES = ("/api/", "/v1/", "/.well-known/", "/oauth/")
JSON_PATHS = ("/api", "/v1", "/healthz", "/readyz", "/metrics")  # machine paths: JSON whoever asks


def _wants_html() -> bool:
    """Browser pages get an HTML error page; everything else gets JSON."""
    path = request.path
    if path.startswith(JSON_PREFIXES) or path in JSON_PATHS:
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def register_error_handlers(app: Flask) -> None:
    from flask import render_template

    def render(err: AppError):
        if _wants_html():
            return render_template("error.html", error=err), err.status, err.headers
        return error_response(err)

    @app.errorhandler(AppError)
    def handle_app_error(err: AppError):
        return render(err)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if exc.code and exc.code < 400:  # redirects raised as exceptions
            return exc
        return render(_from_http(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(AppError("Something went wrong on our side.", code="internal_error", status=500))
