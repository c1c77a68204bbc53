"""Dashboard pages for accounts: sign-up, sign-in, sign-out and the home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from app.accounts import services
from app.accounts.forms import LoginForm, LogoutForm, SignupForm
from app.errors import AppError
from app.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Only same-site paths: a `next` parameter must never become an open redirect."""
    if not target:
        return url_for("accounts.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("accounts.home")
    return target


def sign_in(account_id: str) -> None:
    session.clear()  # a new session id on sign-in: no fixation
    session["account_id"] = account_id
    session.permanent = True


@bp.get("/")
def home():
    """The APIs page (the dashboard's home)."""
    from app.dashboard.apis import apis_page
    from app.dashboard.pages import person_required

    return person_required(apis_page)()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        account = services.authenticate(form.email.data, form.password.data)
        if account is not None:
            sign_in(account.id)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("Wrong email or password.")
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form,
                           signup_open=current_app.config["SIGNUP_OPEN"]), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def signup():
    if not current_app.config["SIGNUP_OPEN"]:
        abort(403, "Sign-up is closed on this instance; ask its administrator for an account.")
    form = SignupForm()
    if form.validate_on_submit():
        try:
            account = services.create_account(form.email.data, form.password.data,
                                              display_name=form.display_name.data or "")
            db.session.commit()
        except AppError as err:
            db.session.rollback()
            form.email.errors.append(err.message)
        else:
            sign_in(account.id)
            flash("Welcome to minapi.")
            return redirect(safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    form = LogoutForm()
    if request.method == "POST":
        if form.validate_on_submit():
            session.clear()
            return redirect(url_for("accounts.login"))
        abort(400, "The sign-out form expired; try again.")
    return render_template("accounts/logout.html", form=form)
