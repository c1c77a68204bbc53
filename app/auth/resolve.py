"""Turning an incoming request's credentials into an Actor.

A request carries at most one kind of credential: an `x-api-key` header, an
`Authorization: Bearer` header, or the dashboard session cookie. A header that is
present but does not resolve is an error (401), never a silent fall-through to
the cookie, so a wrong key is reported as wrong.
"""

from __future__ import annotations

from flask import current_app, request

from app.auth.actor import Actor, session_actor
from app.errors import Unauthorized

EXTENSION = "minapi.resolvers"


def add_resolver(app, kind: str, fn) -> None:
    """Let a credential type resolve `x-api-key` (`api_key`) or bearer (`bearer`) secrets.

    Each resolver takes the presented secret and returns an Actor, or None when the
    secret is not of its kind.
    """
    resolvers = app.extensions.setdefault(EXTENSION, {"api_key": [], "bearer": []})
    if fn not in resolvers[kind]:
        resolvers[kind].append(fn)


def presented_credential() -> tuple[str, str] | None:
    api_key = request.headers.get("x-api-key")
    if api_key:
        return "api_key", api_key.strip()
    auth = request.headers.get("Authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <token>' or an x-api-key header.",
                               code="invalid_token")
        return "bearer", token.strip()
    return None


def header_actor() -> Actor | None:
    """The actor for an `x-api-key` or bearer header; None when neither is present."""
    cred = presented_credential()
    if cred is None:
        return None
    kind, secret = cred
    resolvers = current_app.extensions.get(EXTENSION, {"api_key": [], "bearer": []})
    # A bearer header may carry an API key too (`Authorization: Bearer tm_mcp_…`).
    for fn in resolvers[kind] + (resolvers["api_key"] if kind == "bearer" else []):
        actor = fn(secret)
        if actor is not None:
            return actor
    raise Unauthorized(data_key_message(secret) or "The key or token is not valid (or was revoked).",
                       code="invalid_key")


def data_key_message(secret: str) -> str | None:
    """What to say when a data key was sent where an MCP credential is needed (a common mix-up)."""
    from app.gateway.keys import environment_of

    if environment_of(secret) is None:
        return None
    return ("This is a data key (tm_test_… / tm_live_…), which only calls your endpoints at /api/v1/data/. "
            "MCP and the management API need an MCP key (tm_mcp_…, from Settings → AI integration) "
            "or an OAuth access token.")


def request_actor() -> tuple[Actor | None, bool]:
    """(actor, from_cookie). Header credentials win; the session cookie is the fallback."""
    actor = header_actor()
    if actor is not None:
        return actor, False
    actor = session_actor()
    return actor, actor is not None
