"""Call logs, Statistics and Archives of one api (`/apis/<api>/logs|stats|archives`)."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, request, url_for

from app.dashboard.chart import daily_chart
from app.dashboard.pages import act, attempt, error_status, page, person_required, run

bp = Blueprint("logs_pages", __name__)
FILTERS = ("query", "environment", "status", "key", "from", "to", "date_basis", "cursor")


@bp.get("/apis/<api>/logs")
@person_required
def logs(api):
    ep = run("endpoints_get", {"endpoint": api})
    filters = {name: request.args.get(name) or None for name in FILTERS}
    given = {name: value for name, value in filters.items() if value}
    result, err = attempt("logs_search", {**given, "endpoint": ep["id"], "limit": 25})
    return page("dashboard/logs.html", err.status if err else 200, ep=ep, filters=filters,
                result=result or {"logs": [], "next_cursor": None}, errors={"search": err} if err else {})


def log_page(api: str, log_id: str, errors=None):
    ep = run("endpoints_get", {"endpoint": api})
    found, err = attempt("logs_lookup", {"log_id": log_id})
    errors = dict(errors or {})
    if err:
        errors["lookup"] = err
    log = (found or {}).get("logs", [None])[0] if found and found.get("logs") else None
    pretty = json.dumps(log["payload"], indent=2, ensure_ascii=False) if log and log.get("payload") is not None else None
    return page("dashboard/log.html", error_status(errors) if errors else (200 if log else 404), ep=ep, log=log,
                payload=pretty, errors=errors)


@bp.get("/apis/<api>/logs/<log_id>")
@person_required
def log(api, log_id):
    return log_page(api, log_id)


@bp.post("/apis/<api>/logs/<log_id>/resend")
@person_required
def resend(api, log_id):
    _, err = act("logs_resend_webhook", {"log_id": log_id})
    if err:
        return log_page(api, log_id, errors={"resend": err})
    flash("The webhook is queued to be sent again.")
    return redirect(url_for("logs_pages.log", api=api, log_id=log_id))


@bp.get("/apis/<api>/stats")
@person_required
def stats(api):
    ep = run("endpoints_get", {"endpoint": api})
    month, environment = request.args.get("month") or None, request.args.get("environment") or None
    result, err = attempt("stats_get", {"endpoint": ep["id"], "month": month, "environment": environment})
    return page("dashboard/stats.html", err.status if err else 200, ep=ep, stats=result, month=month,
                environment=environment, chart=daily_chart(result["days"]) if result else None,
                errors={"stats": err} if err else {})


def archives_page(api: str, errors=None):
    ep = run("endpoints_get", {"endpoint": api})
    listing, err = attempt("archives_list", {"endpoint": ep["id"], "limit": 100,
                                             "cursor": request.args.get("cursor") or None})
    errors = dict(errors or {})
    if err:
        errors["list"] = err
    return page("dashboard/archives.html", error_status(errors), ep=ep,
                listing=listing or {"archives": [], "next_cursor": None}, errors=errors)


@bp.get("/apis/<api>/archives")
@person_required
def archives(api):
    return archives_page(api)


@bp.get("/apis/<api>/archives/<date>/download")
@person_required
def download(api, date):
    link, err = attempt("archives_download", {"endpoint": api, "date": date,
                                              "format": request.args.get("format", "jsonl")})
    if err:
        return archives_page(api, errors={f"day-{date}": err})
    return redirect(link["url"])


@bp.post("/apis/<api>/archives/<date>/delete")
@person_required
def delete_archive(api, date):
    _, err = act("archives_delete", {"endpoint": api, "date": date})
    if err:
        return archives_page(api, errors={f"day-{date}": err})
    flash(f"The archive of {date} was deleted.")
    return redirect(url_for("logs_pages.archives", api=api))
