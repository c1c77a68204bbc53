"""Collaboration keys (`/apis/<api>/keys`) and Collaborators (`/apis/<api>/collaborators`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from app.dashboard.pages import act, checkbox, error_status, page, person_required, run

bp = Blueprint("sharing", __name__)
RIGHTS = ("create", "read", "update", "delete")


def rights_from_form(prefix: str = "") -> dict:
    return {right: checkbox(prefix + right) for right in RIGHTS}


def keys_page(api: str, *, new_key=None, errors=None, status=200):
    ep = run("endpoints_get", {"endpoint": api})
    keys = run("collaborators_list_keys", {"endpoint": ep["id"], "limit": 100})["keys"]
    errors = errors or {}
    extra = {"values": {}} if new_key else {}  # made: the form starts empty again
    return page("dashboard/keys.html", max(status, error_status(errors)), ep=ep, keys=keys, new_key=new_key,
                errors=errors, **extra)


@bp.get("/apis/<api>/keys")
@person_required
def keys(api):
    return keys_page(api)


@bp.post("/apis/<api>/keys")
@person_required
def create_key(api):
    raw = {"endpoint": api, "name": request.form.get("name", ""),
           "description": request.form.get("description", ""), "permissions": rights_from_form()}
    created, err = act("collaborators_create_key", raw)
    if err:
        return keys_page(api, errors={"create": err})
    return keys_page(api, new_key=created)  # shown once, never through the session cookie


def back_to_keys(api: str, message: str):
    flash(message)
    return redirect(url_for("sharing.keys", api=api))


@bp.post("/apis/<api>/keys/<key>/permissions")
@person_required
def update_permissions(api, key):
    row, err = act("collaborators_update_permissions",
                   {"endpoint": api, "key": key, "permissions": rights_from_form()})
    if err:
        return keys_page(api, errors={f"key-{key}": err})
    return back_to_keys(api, f"Rights of {row['name']} saved.")


@bp.post("/apis/<api>/keys/<key>/<operation>")
@person_required
def key_operation(api, key, operation):
    tools = {"activate": "collaborators_activate_key", "deactivate": "collaborators_deactivate_key",
             "regenerate": "collaborators_regenerate_key", "delete": "collaborators_delete_key"}
    if operation not in tools:
        return keys_page(api, status=404)
    result, err = act(tools[operation], {"endpoint": api, "key": key})
    if err:
        return keys_page(api, errors={f"key-{key}": err})
    if operation == "regenerate":
        return keys_page(api, new_key=result)
    done = {"activate": "activated", "deactivate": "deactivated", "delete": "deleted"}[operation]
    return back_to_keys(api, f"Key {done}.")


def collaborators_page(api: str, *, errors=None, status=200):
    ep = run("endpoints_get", {"endpoint": api})
    keys = run("collaborators_list_keys", {"endpoint": ep["id"], "limit": 100})["keys"]
    invitations = run("collaborators_list_invitations", {"endpoint": ep["id"], "limit": 100})["invitations"]
    errors = errors or {}
    return page("dashboard/collaborators.html", max(status, error_status(errors)), ep=ep, keys=keys,
                invitations=invitations, errors=errors)


@bp.get("/apis/<api>/collaborators")
@person_required
def collaborators(api):
    return collaborators_page(api)


@bp.post("/apis/<api>/collaborators")
@person_required
def invite(api):
    raw = {"endpoint": api, "key": request.form.get("key", ""), "email": request.form.get("email", "")}
    inv, err = act("collaborators_invite", raw)
    if err:
        return collaborators_page(api, errors={"invite": err})
    flash(f"Invitation sent to {inv['email']}.")
    return redirect(url_for("sharing.collaborators", api=api))


@bp.post("/apis/<api>/collaborators/<invitation>/revoke")
@person_required
def revoke(api, invitation):
    inv, err = act("collaborators_revoke_invitation", {"endpoint": api, "invitation": invitation})
    if err:
        return collaborators_page(api, errors={f"inv-{invitation}": err})
    flash(f"Invitation of {inv['email']} revoked.")
    return redirect(url_for("sharing.collaborators", api=api))
