"""The AI controls of `/settings/ai`: the freeze switch and each credential's policy form.

The forms post here; each view runs the `ai` family's action through `runner.run` with the
signed-in person, then goes back to `/settings/ai`. The section itself is the partial
`ai/controls.html`, included by the settings page (`minapi.settings_ai_sections`).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm

from app.auth.actor import session_actor
from app.errors import AppError
from app.tools import runner

bp = Blueprint("ai_controls", __name__, url_prefix="/settings/ai")
SECTION = "ai/controls.html"


class CsrfForm(FlaskForm):
    """CSRF token only."""


def _run(tool: str, raw: dict, done: str):
    actor = session_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=url_for("settings.ai")))
    if not CsrfForm().validate_on_submit():
        flash("The form expired; please try again.")
        return redirect(url_for("settings.ai"), 303)
    try:
        runner.run(current_app.extensions["minapi.tools"].get_tool(tool), actor, raw, surface="dashboard")
        flash(done)
    except AppError as err:
        flash(err.message)
    return redirect(url_for("settings.ai") + "#ai-controls", 303)


@bp.post("/freeze")
def freeze():
    return _run("ai_freeze", {}, "AI writes are frozen: every AI client can only read until you unfreeze.")


@bp.post("/unfreeze")
def unfreeze():
    return _run("ai_unfreeze", {}, "AI writes are allowed again, within each credential's scopes and policy.")


@bp.post("/policy/<kind>/<cred_id>")
def policy(kind: str, cred_id: str):
    form = request.form
    raw = {"access": form.get("access", "read_write"), "environments": form.get("environments", "both"),
           "endpoints": form.getlist("endpoints") if form.get("endpoint_scope") == "chosen" else None}
    if kind == "key":
        return _run("ai_set_key_policy", {**raw, "key_id": cred_id}, "Policy saved.")
    if kind == "grant":
        return _run("ai_set_grant_policy", {**raw, "grant_id": cred_id}, "Policy saved.")
    flash("Unknown kind of credential.")
    return redirect(url_for("settings.ai"), 303)


def section_data() -> dict | None:
    """What the partial shows: the freeze, each credential's policy, and the account's endpoints."""
    actor = session_actor()
    if actor is None:
        return None
    from app.gateway import endpoints as ep_service
    from app.gateway import sharing

    controls = runner.run(current_app.extensions["minapi.tools"].get_tool("ai_controls"), actor, {},
                          surface="dashboard")
    endpoints = [(e.id, e.name) for e in ep_service.list_owned(actor.account_id, limit=ep_service.MAX_ENDPOINTS)]
    endpoints += [(e.id, f"{e.name} (shared)") for e, _key in sharing.shared_rows(actor.account_id)]
    return {**controls, "endpoints": endpoints}


def install(app) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("minapi.settings_ai_sections", []).append(SECTION)
    app.add_template_global(section_data, "ai_controls_data")
