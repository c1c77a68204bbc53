"""MCP keys: mint, list, regenerate, delete, and resolve a presented key to an Actor.

A key is shown once, when minted or regenerated; afterwards only its prefix. Every
function here is scoped to one account id, so no caller can reach another
account's keys.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.auth.actor import MCP_KEY, READ, WRITE, Actor
from app.auth.models import McpKey
from app.db import utcnow
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.gateway.sql import Raw, read_datetime, read_one
from app.safety import prefetch
from app.security import display_prefix, hash_secret, mint

KEY_PREFIX = "tm_mcp_"
MAX_KEYS = 50
LAST_USED_RESOLUTION = timedelta(seconds=60)  # at most one write per key per minute


def scopes_for(read_only: bool) -> str:
    return READ if read_only else f"{READ} {WRITE}"


def create(account_id: str, label: str, *, read_only: bool = False, created_by: str = "user",
           scopes: str | None = None) -> tuple[McpKey, str]:
    """A new key for the account; returns (row, plaintext). The plaintext is never stored."""
    label = (label or "").strip()[:100] or "MCP key"
    count = db.session.scalar(select(db.func.count()).select_from(McpKey).where(McpKey.account_id == account_id))
    if count >= MAX_KEYS:
        raise ValidationFailed(f"An account can have at most {MAX_KEYS} MCP keys; delete one first.",
                               code="too_many_keys")
    plaintext, digest = mint(KEY_PREFIX)
    key = McpKey(account_id=account_id, label=label, scopes=scopes or scopes_for(read_only),
                 key_hash=digest, prefix=display_prefix(plaintext, KEY_PREFIX), created_by=created_by)
    db.session.add(key)
    db.session.flush()
    return key, plaintext


def list_for(account_id: str) -> list[McpKey]:
    return list(db.session.scalars(select(McpKey).where(McpKey.account_id == account_id)
                                   .order_by(McpKey.created_at.desc(), McpKey.id)))


def get(account_id: str, key_id: str) -> McpKey:
    key = db.session.scalar(select(McpKey).where(McpKey.id == key_id, McpKey.account_id == account_id))
    if key is None:
        raise NotFound("No MCP key with this id in your account.", code="key_not_found")
    return key


def regenerate(account_id: str, key_id: str) -> tuple[McpKey, str]:
    """A new value for the same key (label, scopes); the old value stops working at once."""
    key = get(account_id, key_id)
    plaintext, digest = mint(KEY_PREFIX)
    key.key_hash, key.prefix, key.last_used_at = digest, display_prefix(plaintext, KEY_PREFIX), None
    db.session.flush()
    return key, plaintext


def delete(account_id: str, key_id: str) -> None:
    db.session.delete(get(account_id, key_id))
    db.session.flush()


# On the serving thread's own connection (`read_one`), like the gateway's key lookup: every MCP
# request makes it, and SQLAlchemy's execution machinery costs more than the indexed select itself.
# The account's AI controls and quota headroom come in the same statement (prefetch.py).
_AI_COLUMNS, _AI_JOIN = prefetch.columns("k.account_id", "k.id")
_BY_HASH = Raw(f"SELECT k.id, k.account_id, k.scopes, k.label, k.last_used_at, {_AI_COLUMNS} "
               f"FROM mcp_keys k {_AI_JOIN} WHERE k.key_hash = :key_hash")


def resolve(secret: str) -> Actor | None:
    """The Actor for a presented `tm_mcp_` key, or None if it is not one of ours."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    row = read_one(_BY_HASH, {"key_hash": hash_secret(secret)})
    if row is None:
        return None
    key_id, account_id, scopes, label, last_used_at = row[:5]
    actor = Actor(account_id=account_id, via=MCP_KEY, scopes=frozenset(scopes.split()),
                  credential_id=key_id, label=label, ai_state=prefetch.AiState.of_row(row))
    now = utcnow()
    last_used_at = read_datetime(last_used_at)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        # Its own small transaction, so the timestamp sticks whatever the action does next.
        db.session.execute(update(McpKey).where(McpKey.id == key_id).values(last_used_at=now))
        db.session.commit()
    return actor
