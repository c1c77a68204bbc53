"""APIs (`/`) and Endpoint detail (`/apis/<api>`): list, create, configure, deploy, delete."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Blueprint, flash, redirect, request, url_for

from app.dashboard.pages import act, attempt, checkbox, error_status, page, person_required, run
from app.errors import AppError, ValidationFailed

bp = Blueprint("apis", __name__)
FIELD_KEY = re.compile(r"^fields-(\d{1,3})-name$")
NOTIFY_TEXT = ("email", "slack_url", "discord_url", "telegram_bot_token", "telegram_chat_id")


def fields_from_form(form) -> list[dict]:
    """The field editor's rows (`fields-N-name`, `-type`, `-required`, `-searchable`); empty names skipped."""
    rows = []
    for index in sorted(int(m.group(1)) for m in map(FIELD_KEY.match, form) if m):
        name = (form.get(f"fields-{index}-name") or "").strip()
        if name:
            rows.append({"name": name, "type": form.get(f"fields-{index}-type") or "string",
                         "required": form.get(f"fields-{index}-required") == "on",
                         "searchable": form.get(f"fields-{index}-searchable") == "on"})
    return rows


def overview(endpoints: list[dict]) -> dict:
    """Calls this month and the last call per endpoint, and when each expires on this plan."""
    stats, _ = attempt("stats_get", {})
    calls: dict[str, int] = {}
    for row in (stats or {}).get("keys", []):
        calls[row["endpoint_id"]] = calls.get(row["endpoint_id"], 0) + row["calls"]
    sub, _ = attempt("subscription_get", {})
    lifetime = (sub or {}).get("endpoint_lifetime_days")
    out = {}
    for ep in endpoints:
        last, _ = attempt("logs_search", {"endpoint": ep["id"], "limit": 1})
        logs = (last or {}).get("logs") or []
        expires = None
        if lifetime and ep["role"] == "owner" and ep.get("created_at"):
            from app.formats import parse_moment

            expires = parse_moment(ep["created_at"]) + timedelta(days=lifetime)
        out[ep["id"]] = {"calls": calls.get(ep["id"], 0), "last_call": logs[0]["created_at"] if logs else None,
                         "expires": expires}
    return out


def apis_page(errors=None, status=200):
    from flask import g

    from app.accounts.models import Account
    from app.extensions import db

    listing = run("endpoints_list", {"limit": 100})
    endpoints = listing["endpoints"]
    return page("dashboard/apis.html", status, account=db.session.get(Account, g.person.account_id), endpoints=endpoints, info=overview(endpoints),
                errors=errors or {}, field_rows=fields_from_form(request.form) if request.method == "POST" else [])


@bp.post("/apis")
@person_required
def create():
    raw = {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
           "fields": fields_from_form(request.form)}
    created, err = act("endpoints_create", raw)
    if err:
        return apis_page({"create": err}, err.status)
    # Rendered, not redirected: the owner keys must never pass through the session cookie.
    return detail_page(created["slug"], created=created)


def deploy_changes(detail: dict) -> list[str]:
    """What a deploy would change in production, in words."""
    envs = detail.get("environments") or {}
    sandbox, production = envs.get("sandbox") or {}, envs.get("production")
    if production is None:
        return ["Production starts working with the sandbox's fields, webhook and notifications."]
    changes = []
    old = {f["name"]: f for f in production.get("fields") or []}
    new = {f["name"]: f for f in sandbox.get("fields") or []}
    changes += [f"Field {n} is added." for n in new if n not in old]
    changes += [f"Field {n} is removed." for n in old if n not in new]
    changes += [f"Field {n} changes." for n in new if n in old and new[n] != old[n]]
    if (sandbox.get("webhook") or None) != (production.get("webhook") or None):
        changes.append("The webhook changes to the sandbox's.")
    if (sandbox.get("notifications") or {}) != (production.get("notifications") or {}):
        changes.append("Notifications change to the sandbox's.")
    return changes


def detail_page(api: str, *, created=None, new_keys=None, errors=None, status=200):
    detail = run("endpoints_get", {"endpoint": api})
    errors = errors or {}
    return page("dashboard/endpoint.html", max(status, error_status(errors)), ep=detail, created=created,
                new_keys=new_keys or (created or {}).get("owner_keys"), errors=errors,
                changes=deploy_changes(detail) if detail["role"] == "owner" else [])


@bp.get("/apis/<api>")
@person_required
def detail(api):
    return detail_page(api)


def back(api: str, message: str, anchor: str = ""):
    flash(message)
    return redirect(url_for("apis.detail", api=api) + anchor)


@bp.post("/apis/<api>/fields")
@person_required
def save_fields(api):
    raw = {"endpoint": api, "fields": fields_from_form(request.form)}
    if request.form.get("description") is not None:
        raw["description"] = request.form.get("description", "")
    if request.form.get("name"):
        raw["name"] = request.form["name"]
    raw["active"] = checkbox("active")
    result, err = act("endpoints_update", raw)
    if err:
        return detail_page(api, errors={"fields": err})
    return back(result["slug"], "Saved. Field changes reach production on the next deploy.", "#fields")


@bp.post("/apis/<api>/env/<environment>")
@person_required
def save_environment(api, environment):
    form = request.form
    raw = {"endpoint": api, "environment": environment}
    if checkbox("remove_webhook") or not form.get("webhook_url", "").strip():
        raw["webhook"] = None
    else:
        raw["webhook"] = {"url": form["webhook_url"].strip(), "auth_header": form.get("auth_header") or None}
        if form.get("auth_value"):
            raw["webhook"]["auth_value"] = form["auth_value"]
    notes = {"on_failed_call": checkbox("on_failed_call"), "on_failed_webhook": checkbox("on_failed_webhook")}
    notes.update({name: (form.get(name) or "").strip() or None for name in NOTIFY_TEXT})
    raw["notifications"] = notes
    _, err = act("endpoints_update", raw)
    if err:
        return detail_page(api, errors={f"env-{environment}": err})
    return back(api, f"{environment.capitalize()} settings saved.", f"#env-{environment}")


@bp.post("/apis/<api>/deploy")
@person_required
def deploy(api):
    result, err = act("endpoints_deploy", {"endpoint": api})
    if err:
        return detail_page(api, errors={"deploy": err})
    return back(api, f"Deployed: production now runs version {result['version']}.", "#deploy")


@bp.post("/apis/<api>/regenerate_keys")
@person_required
def regenerate_keys(api):
    keys, err = act("endpoints_regenerate_keys", {"endpoint": api})
    if err:
        return detail_page(api, errors={"owner-keys": err})
    return detail_page(api, new_keys=keys)


@bp.post("/apis/<api>/clear_sandbox")
@person_required
def clear_sandbox(api):
    result, err = act("endpoints_clear_sandbox", {"endpoint": api})
    if err:
        return detail_page(api, errors={"clear": err})
    return back(api, f"Sandbox cleared: {result['deleted_records']} records deleted.", "#danger")


@bp.post("/apis/<api>/delete")
@person_required
def delete(api):
    try:
        current = run("endpoints_get", {"endpoint": api})
    except AppError as err:
        return page("error.html", err.status, error=err)
    if request.form.get("confirm_name", "").strip() != current["name"]:
        err = ValidationFailed(f"Type the endpoint's name, {current['name']}, to delete it.")
        return detail_page(api, errors={"delete": err})
    _, err = act("endpoints_delete", {"endpoint": current["id"]})
    if err:
        return detail_page(api, errors={"delete": err})
    flash(f"{current['name']} was deleted, with its records, keys and logs.")
    return redirect(url_for("accounts.home"))
