"""Account services: create, authenticate, look up, change plan. They never commit."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.accounts.models import Account
from app.db import utcnow
from app.errors import AppError, Conflict, ValidationFailed
from app.extensions import db
from app.security import check_password, hash_password

MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalize_email(email)))


def create_account(email: str, password: str, *, display_name: str = "", plan: str | None = None,
                   is_admin: bool = False) -> Account:
    email = normalize_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed("Enter a valid email address.", details={"email": ["not an email address"]})
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"Use a password of at least {MIN_PASSWORD} characters.",
                               details={"password": [f"shorter than {MIN_PASSWORD} characters"]})
    plan = plan or current_app.config["DEFAULT_PLAN"]
    check_plan(plan)
    if find_by_email(email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    account = Account(email=email, display_name=(display_name or email.split("@")[0])[:100],
                      password_hash=hash_password(password), plan=plan, is_admin=is_admin,
                      cycle_started_at=utcnow())
    db.session.add(account)
    db.session.flush()
    return account


def authenticate(email: str, password: str) -> Account | None:
    account = find_by_email(email)
    if account is None:
        # Spend the same time as a real check, so response time does not reveal which emails exist.
        check_password(_dummy_hash(), password or "")
        return None
    return account if check_password(account.password_hash, password or "") else None


_DUMMY = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password("timing-equaliser"))
    return _DUMMY[0]


def check_plan(plan: str) -> None:
    plans = current_app.config["PLANS"]
    if plan not in plans:
        raise AppError(f"Unknown plan {plan!r}; plans: {', '.join(plans)}.", code="unknown_plan")


def set_plan(email: str, plan: str) -> Account:
    check_plan(plan)
    account = find_by_email(email)
    if account is None:
        raise AppError(f"No account with email {email!r}.", code="account_not_found", status=404)
    account.plan = plan
    return account
