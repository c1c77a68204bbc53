"""The `account` family (core, always on): change your profile, delete your account.

Both are for a signed-in person only: `update` is `person_only` (a leaked AI credential must
not change the sign-in email or password), `delete` is destructive (never an MCP tool).
Deleting an account removes every object it owns: endpoints with their records, keys,
collaboration keys, invitations, call logs, counters and archive files; its MCP keys and
OAuth grants; the invitations it accepted to endpoints of others (those endpoints stay).
"""

from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy import delete as sql_delete
from sqlalchemy import or_

from app.accounts import services
from app.accounts.models import Account
from app.auth.actor import current_actor
from app.errors import AppError, Conflict, ValidationFailed
from app.extensions import db
from app.security import check_password, hash_password
from app.shared_schemas import NoArgs
from app.tools import hookimpl


class UpdateArgs(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=100))
    email = fields.Email(validate=validate.Length(max=254))
    new_password = fields.String(validate=validate.Length(min=services.MIN_PASSWORD, max=200))
    current_password = fields.String(validate=validate.Length(max=200),
                                     metadata={"description": "Needed to change the email or the password."})


class AccountView(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    plan = fields.String(required=True)


class Deleted(Schema):
    deleted = fields.String(required=True, metadata={"description": "The id of the deleted account."})


class WrongPassword(AppError):
    status, code, message = 403, "wrong_password", "The current password is not right."


def view(account: Account) -> dict:
    return {"id": account.id, "email": account.email, "display_name": account.display_name, "plan": account.plan}


def update(display_name: str | None = None, email: str | None = None, new_password: str | None = None,
           current_password: str | None = None) -> dict:
    """Change your display name, sign-in email or password (email and password need the current password)."""
    account = db.session.get(Account, current_actor().account_id)
    if (email and services.normalize_email(email) != account.email) or new_password:
        if not current_password or not check_password(account.password_hash, current_password):
            raise WrongPassword()
    if email and services.normalize_email(email) != account.email:
        email = services.normalize_email(email)
        if services.find_by_email(email):
            raise Conflict("An account with this email already exists.", code="email_taken")
        account.email = email
    if new_password:
        account.password_hash = hash_password(new_password)
    if display_name is not None:
        if not display_name.strip():
            raise ValidationFailed("The display name cannot be empty.", details={"display_name": ["empty"]})
        account.display_name = display_name.strip()
    db.session.flush()
    return view(account)


def delete() -> dict:
    """Delete your account and everything it owns, for good; endpoints others shared with you stay theirs."""
    from app.auth.oauth.models import DeviceCode
    from app.gateway.models import Endpoint, Invitation, UsageDaily

    account = db.session.get(Account, current_actor().account_id)
    current_app.extensions["minapi.plugins"].hook.account_deleting(account_id=account.id)
    # Invitations this person accepted or was sent to endpoints of others: their sharing ends.
    db.session.execute(sql_delete(Invitation).where(or_(Invitation.accepted_by == account.id,
                                                        Invitation.email == account.email)))
    db.session.execute(sql_delete(UsageDaily).where(UsageDaily.account_id == account.id))
    db.session.execute(sql_delete(DeviceCode).where(DeviceCode.account_id == account.id))
    # Endpoints cascade to their keys, records, logs, invitations and archive rows; MCP keys,
    # OAuth grants (and their tokens), codes, cycles and usage alerts cascade from the account.
    db.session.execute(sql_delete(Endpoint).where(Endpoint.account_id == account.id))
    db.session.delete(account)
    db.session.flush()
    return {"deleted": account.id}


@hookimpl
def register_tools(tools):
    fam = tools.family("account", summary="Your account: profile, and deleting it (dashboard only).")
    fam.action(update, kind="write", http="PATCH /account", args=UpdateArgs, returns=AccountView,
               title="Update your profile", person_only=True)
    fam.action(delete, kind="destructive", http="DELETE /account", args=NoArgs, returns=Deleted,
               title="Delete your account")
