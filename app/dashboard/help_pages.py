"""The service guide as pages (`/help`, `/help/<topic>`): the `help` action's Markdown, rendered."""

from __future__ import annotations

import markdown
from flask import Blueprint
from markupsafe import Markup

from app.auth.actor import session_actor
from app.dashboard.pages import page
from app.errors import AppError
from app.tools import runner

bp = Blueprint("help_pages", __name__)


def guide(topic: str | None) -> dict:
    from flask import current_app

    action = current_app.extensions["minapi.tools"].get_tool("help")
    if action is None:
        raise AppError("The service guide is not enabled on this instance.", code="not_enabled", status=404)
    return runner.run(action, session_actor(), {"topic": topic} if topic else {})


def as_html(text: str) -> Markup:
    # The guide is minapi's own text (not user input); raw HTML in it is escaped all the same.
    md = markdown.Markdown(extensions=["tables", "fenced_code"])
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return Markup(md.convert(text))


@bp.get("/help")
def index():
    result = guide(None)
    return page("dashboard/help.html", result=result, body=None)


@bp.get("/help/<topic>")
def topic(topic):
    try:
        result = guide(topic)
    except AppError as err:
        return page("dashboard/help.html", err.status, result=guide(None), body=None, errors={"topic": err})
    return page("dashboard/help.html", result=result, body=as_html(result["text"]))
