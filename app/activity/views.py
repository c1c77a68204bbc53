"""The `/settings/activity` page: the activity trail, filtered and paged, for the signed-in person.

It runs the same `activity_search` action as REST and MCP (through `runner.run`), so its
filters, validation and scoping are those of the API.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from app.activity.record import OUTCOMES
from app.auth.actor import session_actor
from app.errors import AppError
from app.tools import runner

bp = Blueprint("activity", __name__, url_prefix="/settings")
FILTERS = ("actor", "action", "outcome", "endpoint", "from", "to")


@bp.get("/activity")
def page():
    actor = session_actor()
    if actor is None:
        return redirect(url_for("accounts.login", next=request.full_path))
    filters = {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}
    raw = dict(filters, **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {}))
    action = current_app.extensions["minapi.tools"].get_tool("activity_search")
    error, status = None, 200
    try:
        result = runner.run(action, actor, raw, surface="dashboard")
    except AppError as err:
        error, status = err, err.status
        result = {"activity": [], "has_more": False, "next_cursor": None}
    next_url = (url_for("activity.page", **filters, cursor=result["next_cursor"])
                if result.get("next_cursor") else None)
    return render_template("activity/page.html", result=result, filters=filters, error=error,
                           outcomes=OUTCOMES, next_url=next_url), status


def install(app) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("minapi.dashboard_links", []).append(
        {"url": "/settings/activity", "label": "Activity: what each person and AI client did"})
    app.extensions.setdefault("minapi.settings_links", []).append(("activity.page", "Activity"))
