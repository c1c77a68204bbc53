"""The Actor: the one principal type every surface resolves a caller to.

A dashboard session, an MCP key and an OAuth access token all become an `Actor`
with an account id, how it authenticated (`via`) and its scopes. Actions read it
with `current_actor()`; they never look at the request themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, session

from app.errors import Unauthorized

READ, WRITE = "mcp:read", "mcp:write"
ALL_SCOPES = frozenset({READ, WRITE})

SESSION = "session"
MCP_KEY = "mcp_key"
OAUTH = "oauth"


@dataclass(frozen=True)
class Actor:
    account_id: str
    via: str
    scopes: frozenset = field(default=ALL_SCOPES)
    credential_id: str | None = None  # MCP key id or OAuth grant id
    label: str | None = None  # MCP key label or OAuth client name (the activity trail's actor)
    # An AI credential's freeze, policy and quota headroom, read with it (app/safety/prefetch.py).
    ai_state: object = field(default=None, compare=False, repr=False)

    @property
    def is_person(self) -> bool:
        """True only for a signed-in person in the dashboard; AI credentials never are."""
        return self.via == SESSION

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


def set_actor(actor: Actor | None) -> None:
    g.minapi_actor = actor


def current_actor(required: bool = True) -> Actor | None:
    actor = g.get("minapi_actor")
    if actor is None and required:
        raise Unauthorized()
    return actor


def session_actor() -> Actor | None:
    """The signed-in dashboard user, if the session cookie names a live account."""
    from app.accounts.models import Account
    from app.extensions import db

    account_id = session.get("account_id")
    if not account_id:
        return None
    if db.session.get(Account, account_id) is None:
        session.clear()
        return None
    return Actor(account_id=account_id, via=SESSION)
