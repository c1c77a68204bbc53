"""Running one action for one actor: the part the REST and MCP adapters share.

Checks who may run it (kind, scope, person-only for destructive), validates the
raw arguments with the action's schema, calls the action, commits once or rolls
back, and dumps the result with the result schema. For an AI credential it also applies
the account's write freeze and the credential's policy (`app.safety.controls`), and every
run of an account's action leaves one activity row (`app.activity.record`): a write's in the
action's own transaction when it succeeds; a read's, and a refused or failed call's, through
the process's trail a moment later.
"""

from __future__ import annotations

from marshmallow import ValidationError

from app.activity import record as activity
from app.auth.actor import Actor, set_actor
from app.body import check_value
from app.errors import AppError, Forbidden, Unauthorized, ValidationFailed
from app.extensions import db
from app.safety import controls
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


def run(action: Action, actor: Actor | None, raw: dict, *, surface: str | None = None) -> dict:
    """Authorize, validate, call, commit; returns the dumped result. Raises AppError.

    `surface` (dashboard, rest, mcp) is told by the request path when not given.
    """
    policy = None
    try:
        authorize(action, actor)
        if actor is not None and not actor.is_person:
            policy = controls.check_freeze(action, actor)
        args = load_args(action, raw)
        if policy is not None:
            controls.enforce(policy, action, args, actor.account_id)
    except AppError as err:
        db.session.rollback()
        activity.refused(action, actor, raw, surface, err)
        raise
    set_actor(actor)
    controls.set_policy_context(policy)
    if action.kind != "read":
        activity.expect(action, actor, raw, surface)
    try:
        result = action.func(**args)
        activity.add(action, actor, raw, surface)
        db.session.commit()
    except AppError as err:
        if err.keep_changes:
            activity.add(action, actor, raw, surface, err)
            db.session.commit()
        else:
            db.session.rollback()
            activity.refused(action, actor, raw, surface, err)
        raise
    except Exception:
        db.session.rollback()
        activity.refused(action, actor, raw, surface, _internal())
        raise
    except BaseException:
        db.session.rollback()
        raise
    finally:
        activity.forget()
    return action.returns.dump(result if result is not None else {})


def _internal() -> AppError:
    return AppError("internal error", code="internal_error", status=500)
