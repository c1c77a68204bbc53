"""The REST adapter: every registered action becomes a route under `/api/v1/`.

The view resolves the actor, demands a CSRF token when the caller is a browser
session changing something, gathers the arguments (path + query string, or path +
JSON body), and hands off to `runner.run`. Errors leave as the SPEC's JSON shape.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask_wtf.csrf import CSRFError

from app.auth.resolve import request_actor
from app.body import json_object
from app.errors import AppError
from app.extensions import csrf
from app.tools import runner
from app.tools.registry import Action, ToolRegistry

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def check_csrf() -> None:
    try:
        csrf.protect()
    except CSRFError as exc:
        raise AppError(f"CSRF check failed: {exc.description} Send the X-CSRFToken header.",
                       code="csrf_failed", status=403) from None


def gather(action: Action, path_args: dict) -> dict:
    if action.method in ("GET", "DELETE"):
        raw = request.args.to_dict(flat=True)
    else:
        raw = json_object()
    raw.update(path_args)
    return raw


def make_view(action: Action):
    def view(**path_args):
        actor, from_cookie = request_actor()
        if from_cookie and request.method not in SAFE_METHODS:
            check_csrf()
        result = runner.run(action, actor, gather(action, path_args))
        return jsonify(result), action.status

    view.__name__ = action.tool_name
    view.__doc__ = action.description
    return view


def register_routes(app: Flask, registry: ToolRegistry) -> None:
    bp = Blueprint("api", __name__)
    for action in registry.actions():
        bp.add_url_rule(action.url_rule, endpoint=action.tool_name, view_func=make_view(action),
                        methods=[action.method])

    @bp.get("/api/openapi.json")
    def openapi():
        from app.tools.openapi import build_spec

        return jsonify(build_spec(registry))

    app.register_blueprint(bp)
