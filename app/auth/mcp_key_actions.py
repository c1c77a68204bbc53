"""The `mcp_keys` family: managing MCP keys over REST (a core family, always enabled).

Minting and listing keys is for a signed-in person only (`person_only`): a leaked AI
credential must not be able to mint itself successors. Regenerate and delete are
destructive. None of these is ever an MCP tool.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.auth import mcp_keys
from app.auth.actor import current_actor
from app.shared_schemas import NoArgs
from app.tools import hookimpl


class KeyView(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    prefix = fields.String(required=True, metadata={"description": "The start of the key, for recognising it."})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)


class NewKey(KeyView):
    key = fields.String(required=True, metadata={"description": "The full key. Shown this once only."})


class KeyList(Schema):
    keys = fields.List(fields.Nested(KeyView), required=True)


class CreateArgs(Schema):
    label = fields.String(load_default="MCP key", validate=validate.Length(min=1, max=100))
    read_only = fields.Boolean(load_default=False,
                               metadata={"description": "true: scope mcp:read only; false: mcp:read mcp:write."})


class KeyIdArgs(Schema):
    key_id = fields.String(required=True, validate=validate.Length(max=40))


class Deleted(Schema):
    deleted = fields.String(required=True)


def view(key, plaintext: str | None = None) -> dict:
    out = {"id": key.id, "label": key.label, "scopes": key.scopes.split(), "prefix": key.prefix,
           "created_by": key.created_by, "created_at": key.created_at, "last_used_at": key.last_used_at}
    if plaintext:
        out["key"] = plaintext
    return out


def list_keys() -> dict:
    """List your MCP keys (prefix, label, scopes, last use); the keys themselves are never shown again."""
    return {"keys": [view(k) for k in mcp_keys.list_for(current_actor().account_id)]}


def create(label: str, read_only: bool) -> dict:
    """Create an MCP key for AI tools such as Claude Code or Cursor. The key is in the answer, once."""
    key, plaintext = mcp_keys.create(current_actor().account_id, label, read_only=read_only)
    return view(key, plaintext)


def regenerate(key_id: str) -> dict:
    """Give an MCP key a new value; the old value stops working at once. The new key is shown once."""
    key, plaintext = mcp_keys.regenerate(current_actor().account_id, key_id)
    return view(key, plaintext)


def delete(key_id: str) -> dict:
    """Delete an MCP key; every tool using it loses access at once."""
    mcp_keys.delete(current_actor().account_id, key_id)
    return {"deleted": key_id}


@hookimpl
def register_tools(tools):
    fam = tools.family("mcp_keys", summary="MCP keys for AI tools (dashboard only).")
    fam.action(list_keys, name="list", kind="read", http="GET /mcp_keys", args=NoArgs, returns=KeyList,
               person_only=True)
    fam.action(create, kind="write", http="POST /mcp_keys", args=CreateArgs, returns=NewKey, status=201,
               person_only=True)
    fam.action(regenerate, kind="destructive", http="POST /mcp_keys/<key_id>/regenerate", args=KeyIdArgs,
               returns=NewKey)
    fam.action(delete, kind="destructive", http="DELETE /mcp_keys/<key_id>", args=KeyIdArgs, returns=Deleted)
