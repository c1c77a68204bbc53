"""The endpoints family's actions and their result schemas."""

from __future__ import annotations

from marshmallow import Schema, validate
from marshmallow import fields as mf

from app.plugin import current_actor
from app.plugin import endpoints as service
from app.plugin import sharing
from app.plugin import schemas as s
from app.plugin import endpoint_allowed
from plugins.endpoints.views import detail, shared_detail, summary

# -- arguments ------------------------------------------------------------------------------


class ListArgs(s.Page):
    pass


class EndpointArgs(Schema):
    endpoint = s.endpoint_ref()


class CreateArgs(Schema):
    name = mf.String(required=True, validate=validate.Length(min=1, max=100))
    description = mf.String(load_default="", validate=validate.Length(max=500))
    fields = s.field_list()


class UpdateArgs(Schema):
    endpoint = s.endpoint_ref()
    name = mf.String(validate=validate.Length(min=1, max=100))
    description = mf.String(validate=validate.Length(max=500))
    active = mf.Boolean()
    fields = s.field_list()
    environment = s.environment()
    webhook = mf.Nested(s.Webhook, allow_none=True, metadata={"description": "null removes the webhook."})
    notifications = mf.Nested(s.Notifications)


# -- results --------------------------------------------------------------------------------


class WebhookView(Schema):
    url = mf.String()
    auth_header = mf.String(allow_none=True)
    auth_value_set = mf.Boolean()


class EnvConfig(Schema):
    fields = mf.List(mf.Nested(s.FieldDef))
    webhook = mf.Nested(WebhookView, allow_none=True)
    notifications = mf.Dict()


class Summary(Schema):
    id = mf.String(required=True)
    name = mf.String(required=True)
    slug = mf.String(required=True)
    description = mf.String()
    active = mf.Boolean()
    version = mf.Integer(metadata={"description": "How many times it was deployed."})
    deployed = mf.Boolean()
    role = mf.String(metadata={"description": "owner, or shared (through a collaboration key)."})
    created_at = mf.DateTime()
    expires_at = mf.DateTime(metadata={"description": "When your plan deletes it (only on plans with an "
                                                      "endpoint lifetime)."})
    url = mf.String(metadata={"description": "The data API URL."})


class Environments(Schema):
    sandbox = mf.Nested(EnvConfig)
    production = mf.Nested(EnvConfig, allow_none=True)


class OwnerKeyView(Schema):
    sandbox_prefix = mf.String()
    production_prefix = mf.String()


class SharedKey(Schema):
    id = mf.String()
    name = mf.String()
    permissions = mf.Nested(s.Permissions)
    active = mf.Boolean()


class Detail(Summary):
    """An endpoint as its owner sees it; a collaborator gets the summary, urls, fields and shared_key."""

    urls = mf.Dict(keys=mf.String(), values=mf.String())
    environments = mf.Nested(Environments)
    owner_key = mf.Nested(OwnerKeyView)
    collaboration_keys = mf.Integer()
    can_deploy = mf.Boolean(metadata={"description": "True once a sandbox call has succeeded."})
    deployed_at = mf.DateTime(allow_none=True)
    webhook_secret = mf.String(metadata={"description": "Verifies webhook signatures (Standard Webhooks)."})
    fields = mf.List(mf.Nested(s.FieldDef), metadata={"description": "Shared endpoints: the field definitions."})
    shared_key = mf.Nested(SharedKey, metadata={"description": "Shared endpoints: the key shared with you."})


class KeyPair(Schema):
    sandbox = mf.String(required=True, metadata={"description": "tm_test_… key, shown this once."})
    production = mf.String(required=True, metadata={"description": "tm_live_… key, shown this once."})


class Created(Detail):
    owner_keys = mf.Nested(KeyPair, required=True)


class Listing(Schema):
    endpoints = mf.List(mf.Nested(Summary), required=True)
    next_cursor = mf.String(allow_none=True)


class Cleared(Schema):
    deleted_records = mf.Integer(required=True)


class Deleted(Schema):
    deleted = mf.String(required=True)


# -- actions --------------------------------------------------------------------------------


def _mine(ref: str):
    return sharing.find_owned_explained(current_actor().account_id, ref)


def list_endpoints(limit: int, cursor: str | None) -> dict:
    """List your endpoints and those shared with you (role owner or shared): id, name, slug, URL,
    deploy state, and expires_at on plans that delete endpoints after a while. Use it to show the
    user's APIs or to find an endpoint before reading or changing it. Pages with cursor (next_cursor).
    """
    account_id = current_actor().account_id
    rows = [(e, "owner") for e in service.list_owned(account_id, limit=service.MAX_ENDPOINTS)]
    rows += [(e, "shared") for e, _key in sharing.shared_rows(account_id)]
    rows = sorted((r for r in rows if endpoint_allowed(r[0].id)), key=lambda r: r[0].id)  # a policy may narrow
    if cursor:
        rows = [r for r in rows if r[0].id > cursor]
    page = rows[:limit]
    return {"endpoints": [summary(e, role) for e, role in page],
            "next_cursor": page[-1][0].id if len(rows) > limit else None}


def get(endpoint: str) -> dict:
    """Show one endpoint: fields, both environments' webhook and notification settings, key prefixes,
    URLs and deploy state (for a shared endpoint: its fields and your key's rights). Name it by id,
    slug or name. Use it to check an endpoint's setup before changing or deploying it."""
    access = sharing.find_visible(current_actor().account_id, endpoint)
    if access.role == "shared":
        return shared_detail(access.endpoint, access.key)
    return detail(access.endpoint)


def create(name: str, description: str, fields: list | None = None) -> dict:
    """Create an endpoint: a JSON API with its own URL, sandbox and production keys.

    Give a name (unique in the account), optionally a description and field definitions
    ({name, type: string|number|boolean|array|object, required, searchable}). Returns the
    endpoint and its owner keys in plaintext: they are shown this once, so tell the user to keep them.
    """
    endpoint, plaintext = service.create(current_actor().account_id, name=name, description=description,
                                         fields=fields)
    return {**detail(endpoint), "owner_keys": plaintext}


def update(endpoint: str, **changes) -> dict:
    """Change an endpoint: name, description, active, the sandbox field definitions, and for one
    `environment` (default sandbox) its webhook ({url, auth_header?, auth_value?} or null) and
    notifications. Field changes reach production on the next deploy. Returns the endpoint."""
    return detail(service.update(_mine(endpoint), changes))


def deploy(endpoint: str) -> dict:
    """Deploy: copy the sandbox configuration (fields, webhook, notifications) to production and bump
    the version, when the user wants the API live. Needs one successful sandbox call first; production
    keys work afterwards. Returns the endpoint."""
    return detail(service.deploy(_mine(endpoint)))


def delete(endpoint: str) -> dict:
    """Delete an endpoint with all its records, keys and logs. Cannot be undone."""
    ep = _mine(endpoint)
    service.delete(ep)
    return {"deleted": ep.id}


def regenerate_keys(endpoint: str) -> dict:
    """Give the owner key pair new values; the old ones stop working at once. Shown once."""
    return service.regenerate_owner_keys(_mine(endpoint))


def clear_sandbox(endpoint: str) -> dict:
    """Delete every sandbox record of an endpoint."""
    return {"deleted_records": service.clear_sandbox(_mine(endpoint))}
