"""How endpoints are shown to callers (REST and MCP): plain dicts for the result schemas."""

from __future__ import annotations

from sqlalchemy import func, select

from app.plugin import db
from app.plugin import endpoints as service
from app.plugin import EndpointKey


def summary(ep, role: str = "owner") -> dict:
    row = {"id": ep.id, "name": ep.name, "slug": ep.slug, "description": ep.description, "active": ep.active,
           "version": ep.version, "deployed": ep.version > 0, "role": role, "created_at": ep.created_at,
           "url": service.urls(ep)["data"]}
    expires = service.expires_at(ep)
    if expires is not None:  # only on plans with an endpoint lifetime
        row["expires_at"] = expires
    return row


def shared_detail(ep, key) -> dict:
    """What a collaborator sees: the endpoint and the rights of the key shared with them; no secrets."""
    fields = (ep.production_config or ep.sandbox_config or {}).get("fields") or []
    return {**summary(ep, "shared"), "urls": service.urls(ep), "fields": fields,
            "shared_key": {"id": key.id, "name": key.name, "permissions": key.permissions, "active": key.active}}


def env_config(config: dict | None) -> dict | None:
    if config is None:
        return None
    hook = config.get("webhook")
    return {"fields": config.get("fields") or [],
            "webhook": None if not hook else {"url": hook["url"], "auth_header": hook.get("auth_header"),
                                              "auth_value_set": bool(hook.get("auth_value"))},
            "notifications": config.get("notifications") or {}}


def detail(ep) -> dict:
    owner = service.owner_key(ep)
    collaboration = db.session.scalar(select(func.count()).select_from(EndpointKey).where(
        EndpointKey.endpoint_id == ep.id, EndpointKey.is_owner.is_(False)))
    return {**summary(ep), "urls": service.urls(ep),
            "environments": {"sandbox": env_config(ep.sandbox_config),
                             "production": env_config(ep.production_config)},
            "owner_key": {"sandbox_prefix": owner.test_prefix, "production_prefix": owner.live_prefix},
            "collaboration_keys": collaboration, "can_deploy": ep.sandbox_succeeded,
            "deployed_at": ep.deployed_at, "webhook_secret": ep.webhook_secret}
