"""The `ai` family: the AI write freeze and per-credential policies, for a signed-in person only.

Every action here is `person_only`: an AI credential can neither lift a freeze nor widen its
own policy, on any surface. They run through the registry like every action, so the
dashboard's forms, REST and the activity trail see them the same way.
"""

from __future__ import annotations

from datetime import timedelta

from marshmallow import Schema, fields, validate
from sqlalchemy import delete, select

from app.auth import mcp_keys
from app.auth.actor import WRITE, current_actor
from app.errors import NotFound
from app.extensions import db
from app.safety import controls
from app.safety.controls import BOTH, READ, READ_WRITE, SANDBOX, Policy
from app.shared_schemas import NoArgs
from app.tools import hookimpl


class Freeze(Schema):
    ai_writes_frozen = fields.Boolean(required=True)


class KeyIdArgs(Schema):
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class GrantIdArgs(Schema):
    grant_id = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PolicyFields(Schema):
    access = fields.String(load_default=READ_WRITE, validate=validate.OneOf([READ, READ_WRITE]),
                           metadata={"description": "read or read_write (never more than the credential's scopes)."})
    endpoints = fields.List(fields.String(validate=validate.Length(min=1, max=120)), load_default=None,
                            allow_none=True, validate=validate.Length(max=controls.MAX_ENDPOINTS),
                            metadata={"description": "Endpoint ids, slugs or names; null for all endpoints."})
    environments = fields.String(load_default=BOTH, validate=validate.OneOf([SANDBOX, BOTH]),
                                 metadata={"description": "sandbox (only) or both, for tools that take "
                                                          "an environment (api_call_*)."})


class KeyPolicyArgs(KeyIdArgs, PolicyFields):
    pass


class GrantPolicyArgs(GrantIdArgs, PolicyFields):
    pass


class PolicyView(Schema):
    credential_id = fields.String(required=True)
    credential_kind = fields.String(required=True, metadata={"description": "mcp_key or oauth."})
    name = fields.String(required=True, metadata={"description": "The key's label or the client's name."})
    scopes = fields.List(fields.String(), required=True)
    access = fields.String(required=True)
    endpoints = fields.List(fields.String(), allow_none=True)
    environments = fields.String(required=True)
    effective_access = fields.String(required=True, metadata={"description": "What the credential can do: "
                                                                             "the narrower of scopes and policy."})


class Controls(Freeze):
    credentials = fields.List(fields.Nested(PolicyView), required=True)


def _grant(account_id: str, grant_id: str):
    from app.auth.oauth.models import OAuthGrant

    grant = db.session.scalar(select(OAuthGrant).where(OAuthGrant.id == grant_id, OAuthGrant.account_id == account_id))
    if grant is None:
        raise NotFound("No connected client with this id in your account.", code="grant_not_found")
    return grant


def view(kind: str, cred_id: str, name: str, scopes: list[str], policy: Policy) -> dict:
    writable = WRITE in scopes and policy.access == READ_WRITE
    return {"credential_id": cred_id, "credential_kind": kind, "name": name, "scopes": scopes,
            **policy.to_dict(), "effective_access": READ_WRITE if writable else READ}


def key_view(account_id: str, key) -> dict:
    return view("mcp_key", key.id, key.label, key.scopes.split(), controls.policy_of(account_id, key.id))


def grant_view(account_id: str, grant) -> dict:
    name = grant.client.client_name or grant.client.client_id
    return view("oauth", grant.id, name, grant.scope.split(), controls.policy_of(account_id, grant.id))


def freeze() -> dict:
    """Freeze AI writes: every write tool of every MCP key and OAuth client of your account is refused
    (ai_writes_frozen) until you unfreeze. Reads keep working."""
    controls.freeze(current_actor().account_id)
    return {"ai_writes_frozen": True}


def unfreeze() -> dict:
    """Lift the AI write freeze: AI credentials may write again, within their scopes and policies."""
    controls.unfreeze(current_actor().account_id)
    return {"ai_writes_frozen": False}


def controls_get() -> dict:
    """The AI controls of your account: whether AI writes are frozen, and each MCP key's and OAuth
    client's policy with what it can effectively do."""
    account_id = current_actor().account_id
    from app.auth.oauth.connections import list_for

    creds = [key_view(account_id, k) for k in mcp_keys.list_for(account_id)]
    creds += [grant_view(account_id, g) for g in list_for(account_id)]
    return {"ai_writes_frozen": controls.is_frozen(account_id), "credentials": creds}


def get_key_policy(key_id: str) -> dict:
    """An MCP key's policy."""
    account_id = current_actor().account_id
    return key_view(account_id, mcp_keys.get(account_id, key_id))


def set_key_policy(key_id: str, access: str, endpoints: list | None, environments: str) -> dict:
    """Narrow an MCP key: read-only or read and write, all endpoints or a list, sandbox only or both.
    A policy never widens what the key's scopes allow."""
    account_id = current_actor().account_id
    key = mcp_keys.get(account_id, key_id)
    controls.set_policy(account_id, key.id, Policy(access, tuple(endpoints) if endpoints is not None else None,
                                                   environments))
    return key_view(account_id, key)


def get_grant_policy(grant_id: str) -> dict:
    """An OAuth client's (grant's) policy."""
    account_id = current_actor().account_id
    return grant_view(account_id, _grant(account_id, grant_id))


def set_grant_policy(grant_id: str, access: str, endpoints: list | None, environments: str) -> dict:
    """Narrow a connected AI client (OAuth grant), like an MCP key's policy. Never widens its scopes."""
    account_id = current_actor().account_id
    grant = _grant(account_id, grant_id)
    controls.set_policy(account_id, grant.id, Policy(access, tuple(endpoints) if endpoints is not None else None,
                                                     environments))
    return grant_view(account_id, grant)


@hookimpl
def register_tools(tools):
    fam = tools.family("ai", summary="AI controls: the write freeze and per-credential policies (dashboard only).")
    fam.action(controls_get, name="controls", kind="read", http="GET /ai", args=NoArgs, returns=Controls,
               person_only=True, title="AI controls")
    fam.action(freeze, kind="write", http="POST /ai/freeze", args=NoArgs, returns=Freeze, person_only=True)
    fam.action(unfreeze, kind="write", http="POST /ai/unfreeze", args=NoArgs, returns=Freeze, person_only=True)
    fam.action(get_key_policy, kind="read", http="GET /ai/keys/<key_id>/policy", args=KeyIdArgs,
               returns=PolicyView, person_only=True)
    fam.action(set_key_policy, kind="write", http="PUT /ai/keys/<key_id>/policy", args=KeyPolicyArgs,
               returns=PolicyView, person_only=True)
    fam.action(get_grant_policy, kind="read", http="GET /ai/grants/<grant_id>/policy", args=GrantIdArgs,
               returns=PolicyView, person_only=True)
    fam.action(set_grant_policy, kind="write", http="PUT /ai/grants/<grant_id>/policy", args=GrantPolicyArgs,
               returns=PolicyView, person_only=True)


def prune(job) -> None:
    """Drop the policies of MCP keys and OAuth grants that no longer exist (deleted or revoked)."""
    from app.auth.models import McpKey
    from app.auth.oauth.models import OAuthGrant
    from app.safety.models import POLICY, AiControl

    db.session.execute(delete(AiControl).where(AiControl.kind == POLICY, AiControl.subject.not_in(select(McpKey.id)),
                                               AiControl.subject.not_in(select(OAuthGrant.id))))


@hookimpl
def register_jobs(jobs):
    jobs.periodic("ai.prune", prune, every=timedelta(hours=1))


@hookimpl
def register_blueprints(app):
    from app.safety import views

    views.install(app)
