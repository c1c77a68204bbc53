"""Settings → Profile (`/settings/profile`) and Subscription (`/settings/subscription`)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for

from app.accounts.models import Account
from app.dashboard.pages import act, attempt, page, person_required
from app.errors import AppError
from app.extensions import db
from app.security import check_password

bp = Blueprint("settings_pages", __name__, url_prefix="/settings")


def profile_page(errors=None, status=200):
    account = db.session.get(Account, g.person.account_id)
    return page("dashboard/profile.html", status, account=account, errors=errors or {})


@bp.get("/profile")
@person_required
def profile():
    return profile_page()


@bp.post("/profile")
@person_required
def update_profile():
    form = request.form
    raw = {"display_name": form.get("display_name") or None, "email": form.get("email") or None,
           "new_password": form.get("new_password") or None, "current_password": form.get("current_password") or None}
    _, err = act("account_update", {name: value for name, value in raw.items() if value is not None})
    if err:
        return profile_page({"profile": err}, err.status)
    flash("Profile saved.")
    return redirect(url_for("settings_pages.profile"))


@bp.post("/profile/delete")
@person_required
def delete_account():
    account = db.session.get(Account, g.person.account_id)
    if not check_password(account.password_hash, request.form.get("password", "")):
        err = AppError("The password is not right; your account was not deleted.", code="wrong_password", status=403)
        return profile_page({"delete": err}, 403)
    _, err = act("account_delete", {})
    if err:
        return profile_page({"delete": err}, err.status)
    session.clear()
    flash("Your account and everything in it were deleted.")
    return redirect(url_for("accounts.login"))


def subscription_page(errors=None, status=200):
    sub, err = attempt("subscription_get", {})
    errors = dict(errors or {})
    if err:
        errors["get"] = err
    admins = [] if (sub or {}).get("self_service") else list(db.session.scalars(
        db.select(Account.email).where(Account.is_admin.is_(True)).order_by(Account.email).limit(3)))
    return page("dashboard/subscription.html", status, sub=sub, admins=admins, errors=errors,
                base_url=current_app.config["BASE_URL"])


@bp.get("/subscription")
@person_required
def subscription():
    return subscription_page()


@bp.post("/subscription/change")
@person_required
def change_plan():
    sub, err = act("subscription_change_plan", {"plan": request.form.get("plan", "")})
    if err:
        return subscription_page({"change": err}, err.status)
    flash(f"Your plan is now {sub['plan']}.")
    return redirect(url_for("settings_pages.subscription"))


@bp.post("/subscription/cancel")
@person_required
def cancel_plan():
    sub, err = act("subscription_cancel", {})
    if err:
        return subscription_page({"cancel": err}, err.status)
    flash(f"Your subscription was cancelled; you are on the {sub['plan']} plan.")
    return redirect(url_for("settings_pages.subscription"))
