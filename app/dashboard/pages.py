"""What every dashboard page shares: the signed-in person, and running a registry action for them.

A page's form posts to a view that calls `act(tool, raw)`: the CSRF token is checked, then the
same registry action REST and MCP use runs through `app.tools.runner.run` with the person as
actor, so kind, scope, validation and the one commit are the same on every surface. A failed
action comes back as the `AppError`, for the page to show next to its form (never a 500).
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.auth.actor import session_actor
from app.errors import AppError, NotFound, ValidationFailed
from app.tools import runner


class ActionForm(FlaskForm):
    """No fields: every dashboard form carries and checks a CSRF token."""


class FormExpired(AppError):
    status, code = 400, "csrf_failed"
    message = "This form expired (its security token is missing or old). Reload the page and try again."


def person_required(view):
    """The view needs a signed-in person; others go to the sign-in page and come back."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        actor = session_actor()
        if actor is None:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        g.person = actor
        return view(*args, **kwargs)

    return wrapped


def has_tool(tool: str) -> bool:
    return current_app.extensions["minapi.tools"].get_tool(tool) is not None


def run(tool: str, raw: dict) -> dict:
    """Run one registry action as the signed-in person; raises AppError."""
    action = current_app.extensions["minapi.tools"].get_tool(tool)
    if action is None:
        raise NotFound("This part of minapi is not enabled on this instance.", code="not_enabled")
    if has_nul(raw):  # no name, id or text can hold it; PostgreSQL would refuse it mid-query
        raise ValidationFailed("A value contains the NUL character, which nothing in minapi can hold.")
    return runner.run(action, g.person, raw)


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False


def act(tool: str, raw: dict) -> tuple[dict | None, AppError | None]:
    """For a posted form: check its CSRF token, run the action; (result, None) or (None, error)."""
    if not ActionForm().validate_on_submit():
        return None, FormExpired()
    return attempt(tool, raw)


def attempt(tool: str, raw: dict) -> tuple[dict | None, AppError | None]:
    try:
        return run(tool, raw), None
    except AppError as err:
        return None, err


def page(template: str, status: int = 200, **context):
    """Render a dashboard page; `errors` maps a form's name to the AppError it met."""
    context.setdefault("errors", {})
    context.setdefault("values", request.form if request.method == "POST" else {})
    return render_template(template, **context), status


def error_status(errors: dict) -> int:
    return max((e.status for e in errors.values() if e is not None), default=200)


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("on", "true", "1", "yes")
