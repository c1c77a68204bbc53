"""Deciding whether an AI credential may run an action: the write freeze and its policy.

A person (dashboard session) is never frozen or narrowed. For an MCP key or an OAuth
grant, the runner asks `check_freeze` before validating (the account's freeze and the
credential's policy, read in the credential's own lookup: `app/safety/prefetch.py`) and
`enforce` after: a policy can only
narrow what the credential's scopes already allow, never widen it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import delete, select

from app.db import utcnow
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.gateway.sql import Raw, read_one
from app.safety.models import FREEZE, POLICY, AiControl

READ, READ_WRITE = "read", "read_write"
SANDBOX, BOTH = "sandbox", "both"
MAX_ENDPOINTS = 100


class AiWritesFrozen(Forbidden):
    code = "ai_writes_frozen"
    message = ("AI writes are frozen on this account: a person turned the switch on in Settings → AI "
               "integration. Reading still works; ask them to lift the freeze to change anything.")


class OutsidePolicy(Forbidden):
    code = "outside_policy"

    def __init__(self, rule: str, message: str):
        super().__init__(f"Outside this credential's policy (rule: {rule}): {message}", details={"rule": rule})


@dataclass(frozen=True)
class Policy:
    access: str = READ_WRITE            # read | read_write
    endpoints: tuple | None = None      # endpoint ids, or None for all
    environments: str = BOTH            # sandbox | both (for tools that take `environment`)

    @classmethod
    def from_json(cls, raw: str | None) -> "Policy":
        data = json.loads(raw or "{}")
        eps = data.get("endpoints")
        return cls(access=data.get("access", READ_WRITE), endpoints=tuple(eps) if eps is not None else None,
                   environments=data.get("environments", BOTH))

    def to_dict(self) -> dict:
        return {"access": self.access, "endpoints": list(self.endpoints) if self.endpoints is not None else None,
                "environments": self.environments}

    @property
    def is_open(self) -> bool:
        return self == Policy()


# -- reading -------------------------------------------------------------------------------

def frozen_column(account: str) -> str:
    """SQL for whether AI writes are frozen on `account` (a column or a parameter): 1/true or 0/false."""
    return f"EXISTS (SELECT 1 FROM ai_controls ctl WHERE ctl.subject = {account} AND ctl.kind = '{FREEZE}')"


def columns(account: str, credential: str) -> str:
    """SQL for (frozen, policy JSON or NULL) of an account and one of its credentials: two primary-key
    lookups, appended to the credential's own lookup (`app/safety/prefetch.py`) or read alone."""
    return (f"{frozen_column(account)}, (SELECT ctl.policy FROM ai_controls ctl WHERE ctl.subject = {credential} "
            f"AND ctl.account_id = {account} AND ctl.kind = '{POLICY}')")


# On the serving thread's own connection (`read_one`), like the gateway's hot path: SQLAlchemy's
# machinery would cost several times the query (bench/activity.py).
LOAD = Raw(f"SELECT {columns(':account_id', ':credential_id')}")
FROZEN = Raw(f"SELECT {frozen_column(':account_id')}")


def load(account_id: str, credential_id: str | None) -> tuple[bool, Policy | None]:
    """(frozen, policy) in one query; policy is None when the credential was never narrowed."""
    return of_row(read_one(LOAD, {"account_id": account_id, "credential_id": credential_id or account_id}))


def of_row(row) -> tuple[bool, Policy | None]:
    """(frozen, policy) from the two columns `columns` reads."""
    frozen, raw = row
    return bool(frozen), (Policy.from_json(raw) if raw is not None else None)


def is_frozen(account_id: str) -> bool:
    """Whether AI writes are frozen on the account: what the runner read for this call, else one read."""
    known = g.get("minapi_frozen") if has_app_context() else None
    if known is not None and known[0] == account_id:
        return known[1]
    return bool(read_one(FROZEN, {"account_id": account_id})[0])


def policy_of(account_id: str, credential_id: str) -> Policy:
    raw = db.session.scalar(select(AiControl.policy).where(
        AiControl.subject == credential_id, AiControl.account_id == account_id, AiControl.kind == POLICY))
    return Policy.from_json(raw)


# -- deciding (the runner) -----------------------------------------------------------------

def check_freeze(action, actor) -> Policy | None:
    """Raise `ai_writes_frozen` for a write of a frozen account's AI credential; return its policy.
    Both were read with the credential when it was resolved for this request (`actor.ai_state`),
    else they are read now."""
    state = actor.ai_state
    frozen, policy = (state.frozen, state.policy) if state is not None else load(actor.account_id,
                                                                                   actor.credential_id)
    g.minapi_frozen = (actor.account_id, frozen)
    if frozen and action.kind != "read":
        raise AiWritesFrozen()
    return policy


def enforce(policy: Policy, action, args: dict, account_id: str) -> None:
    """Raise `outside_policy` naming the rule the call breaks."""
    if policy.access == READ and action.kind != "read":
        raise OutsidePolicy("access", "it is read-only; this tool changes data.")
    if policy.environments == SANDBOX and args.get("environment") == "production":
        raise OutsidePolicy("environments", "it may use the sandbox environment only.")
    if policy.endpoints is None:
        return
    if "endpoint" in action.args.fields:
        ref = args.get("endpoint")
        if not ref:
            raise OutsidePolicy("endpoints", "it is limited to some endpoints; name one with `endpoint` "
                                             "(endpoints_list shows which).")
        from app.gateway.endpoints import EndpointNotFound
        from app.gateway.sharing import find_visible

        try:
            endpoint = find_visible(account_id, str(ref)).endpoint
        except EndpointNotFound:
            return  # the action answers endpoint_not_found itself, as for anyone
        if endpoint.id not in policy.endpoints:
            raise OutsidePolicy("endpoints", f"it may not use the endpoint {endpoint.name!r}.")
    elif action.kind != "read":
        raise OutsidePolicy("endpoints", "it is limited to some endpoints, and this tool names none.")


def set_policy_context(policy: Policy | None) -> None:
    g.minapi_policy = policy


def allowed_endpoint_ids() -> tuple | None:
    """The endpoint ids the current call's credential is limited to; None when not limited."""
    policy = g.get("minapi_policy")
    return policy.endpoints if policy is not None else None


def endpoint_allowed(endpoint_id: str) -> bool:
    allowed = allowed_endpoint_ids()
    return allowed is None or endpoint_id in allowed


# -- changing (a person, through the `ai` family) --------------------------------------------

def freeze(account_id: str) -> None:
    if db.session.get(AiControl, account_id) is None:
        db.session.add(AiControl(subject=account_id, account_id=account_id, kind=FREEZE))
        db.session.flush()


def unfreeze(account_id: str) -> None:
    db.session.execute(delete(AiControl).where(AiControl.subject == account_id, AiControl.kind == FREEZE))


def set_policy(account_id: str, credential_id: str, policy: Policy) -> Policy:
    """Store (or, for an open policy, remove) a credential's policy; endpoint ids must be the account's."""
    if policy.endpoints is not None:
        from app.gateway.endpoints import EndpointNotFound
        from app.gateway.sharing import find_visible

        ids = []
        for ref in policy.endpoints[:MAX_ENDPOINTS]:
            try:
                ids.append(find_visible(account_id, str(ref)).endpoint.id)
            except EndpointNotFound:
                raise ValidationFailed(f"No endpoint {ref!r} in your account.",
                                       details={"endpoints": [f"unknown endpoint {ref!r}"]}) from None
        policy = Policy(policy.access, tuple(dict.fromkeys(ids)), policy.environments)
    row = db.session.get(AiControl, credential_id)
    if policy.is_open:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(AiControl(subject=credential_id, account_id=account_id, kind=POLICY,
                                 policy=json.dumps(policy.to_dict())))
    else:
        row.policy, row.updated_at = json.dumps(policy.to_dict()), utcnow()
    db.session.flush()
    return policy
