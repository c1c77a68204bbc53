"""Running one action for one actor: the part the REST and MCP adapters share.

Checks who may run it (kind, scope, person-only for destructive), validates the
raw arguments with the action's schema, calls the action, commits once or rolls
back, and dumps the result with the result schema.
"""

from __future__ import annotations

from marshmallow import ValidationError

from app.auth.actor import Actor, set_actor
from app.body import check_value
from app.errors import AppError, Forbidden, Unauthorized, ValidationFailed
from app.extensions import db
from app.tools.registry import Action
from app.tools.schemas import validation_details


class SessionRequired(Forbidden):
    code = "session_required"
    message = ("Only a signed-in person can do this, from the dashboard: it deletes or replaces data, "
               "or mints credentials. AI credentials (MCP keys, OAuth tokens) never can.")


def authorize(action: Action, actor: Actor | None) -> None:
    """Raise unless `actor` may run `action`."""
    if actor is None:
        if action.public:
            return
        raise Unauthorized()
    if action.needs_person:
        if not actor.is_person:
            raise SessionRequired()
        return
    if not actor.has_scope(action.scope):
        raise AppError(f"This tool needs the {action.scope} scope.", code="insufficient_scope",
                       status=403, details={"scope": action.scope})


def load_args(action: Action, raw: dict) -> dict:
    check_value(raw)  # SPEC §2's strict rules, for arguments that did not come as a body (MCP, query)
    try:
        return action.args.load(raw)
    except ValidationError as err:
        raise ValidationFailed("Some arguments are missing or not valid.",
                               details=validation_details(err)) from None


def run(action: Action, actor: Actor | None, raw: dict) -> dict:
    """Authorize, validate, call, commit; returns the dumped result. Raises AppError."""
    authorize(action, actor)
    args = load_args(action, raw)
    set_actor(actor)
    try:
        result = action.func(**args)
        db.session.commit()
    except AppError as err:
        if err.keep_changes:
            db.session.commit()
        else:
            db.session.rollback()
        raise
    except BaseException:
        db.session.rollback()
        raise
    return action.returns.dump(result if result is not None else {})
