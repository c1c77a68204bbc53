"""Data keys: minting pairs, finding the pair a presented key belongs to, permissions.

The environment of a call is chosen by the key's prefix, never by the URL.
"""

from __future__ import annotations

from app.errors import AppError
from app.extensions import db
from app.gateway import sql, usage
from app.gateway.models import PRODUCTION, SANDBOX, EndpointKey
from app.security import display_prefix, hash_secret, mint

PREFIXES = {SANDBOX: "tm_test_", PRODUCTION: "tm_live_"}
RIGHTS = ("create", "read", "update", "delete")
METHOD_RIGHT = {"POST": "create", "GET": "read", "PUT": "update", "DELETE": "delete"}


def environment_of(secret: str) -> str | None:
    for env, prefix in PREFIXES.items():
        if secret.startswith(prefix):
            return env
    return None


def new_secrets(key: EndpointKey) -> dict:
    """Give `key` fresh sandbox and production values; returns the plaintexts (shown once)."""
    test, test_hash = mint(PREFIXES[SANDBOX])
    live, live_hash = mint(PREFIXES[PRODUCTION])
    key.test_hash, key.test_prefix = test_hash, display_prefix(test, PREFIXES[SANDBOX])
    key.live_hash, key.live_prefix = live_hash, display_prefix(live, PREFIXES[PRODUCTION])
    return {SANDBOX: test, PRODUCTION: live}


def create_pair(endpoint_id: str, *, name: str, is_owner: bool = False, permissions: dict | None = None,
                description: str = "", created_by: str | None = None) -> tuple[EndpointKey, dict]:
    key = EndpointKey(endpoint_id=endpoint_id, name=name, is_owner=is_owner, description=description,
                      created_by=created_by)
    set_permissions(key, permissions or dict.fromkeys(RIGHTS, True))
    plaintext = new_secrets(key)
    db.session.add(key)
    return key, plaintext


def set_permissions(key: EndpointKey, permissions: dict) -> None:
    key.can_create, key.can_read = bool(permissions["create"]), bool(permissions["read"])
    key.can_update, key.can_delete = bool(permissions["update"]), bool(permissions["delete"])


def ensure_within(granted: dict, limit: dict) -> None:
    """A key can never be given rights its creator lacks."""
    extra = [r for r in RIGHTS if granted.get(r) and not limit.get(r)]
    if extra:
        raise AppError(f"You cannot grant rights you do not have: {', '.join(extra)}.",
                       code="permission_denied", status=403, details={"rights": extra})


def find(conn: sql.Conn, secret: str, record_id: str | None = None):
    """(key pair, its endpoint, the owner's account, environment, record) for a presented data key,
    or None.

    One indexed lookup by the key's hash, joined with what every call needs next (and, most
    often, the plan's usage: see `usage.check_quota`), and the record named by `record_id` if
    any (see `sql.find_key`).
    """
    env = environment_of(secret)
    if env is None or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    written = usage.reads_written()  # before the lookup counts the cycle's calls (see `usage.check_quota`)
    found = sql.find_key(conn, digest, env, usage.last_cycle(digest), record_id)
    if found is None:
        return None
    key, endpoint, account, record = found
    account.key_digest, account.reads_written = digest, written
    return key, endpoint, account, env, record


def allows(key, method: str) -> bool:
    return getattr(key, "can_" + METHOD_RIGHT[method])
