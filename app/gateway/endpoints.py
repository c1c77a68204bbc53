"""Endpoint services: create, find (by id, slug or name), configure, deploy, delete.

Every lookup is scoped to the calling account. Nothing here commits.
"""

from __future__ import annotations

import copy
import re
import secrets
import string
import unicodedata
import base64
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select

from app.db import utcnow
from app.errors import AppError, Conflict, NotFound
from app.extensions import db
from app.gateway import keys as key_service
from app.gateway.models import PRODUCTION, SANDBOX, Endpoint, EndpointKey, Record

MAX_ENDPOINTS = 200
DEFAULT_NOTIFICATIONS = {"on_failed_call": False, "on_failed_webhook": False, "email": None, "slack_url": None,
                         "discord_url": None, "telegram_bot_token": None, "telegram_chat_id": None}


class EndpointNotFound(NotFound):
    code, message = "endpoint_not_found", "No endpoint with this id, slug or name in your account."


def expires_at(ep: Endpoint):
    """When the owner's plan deletes this endpoint (plans with an endpoint lifetime); None if kept.

    Retention (`plugins.archives.retention`) deletes endpoints created more than the same number
    of days ago."""
    from app.accounts.models import Account

    owner = db.session.get(Account, ep.account_id)  # the identity map answers repeats in a listing
    days = current_app.config["PLANS"].get(owner.plan if owner else "", {}).get("endpoint_lifetime_days")
    return ep.created_at + timedelta(days=days) if days else None


def new_slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "api"
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    return f"{base}-{suffix}"


def new_webhook_secret() -> str:
    """Standard Webhooks form: `whsec_` + base64 of the key bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def find_owned(account_id: str, ref: str) -> Endpoint:
    """The caller's endpoint named by id, slug or name (in that order)."""
    ref = (ref or "").strip()
    own = select(Endpoint).where(Endpoint.account_id == account_id)
    for column in (Endpoint.id, Endpoint.slug, Endpoint.name):
        found = db.session.scalar(own.where(column == ref))
        if found is not None:
            return found
    raise EndpointNotFound()


def list_owned(account_id: str, *, limit: int, after: str | None = None) -> list[Endpoint]:
    query = select(Endpoint).where(Endpoint.account_id == account_id)
    if after:
        query = query.where(Endpoint.id > after)
    return list(db.session.scalars(query.order_by(Endpoint.id).limit(limit + 1)))


def _name_free(account_id: str, name: str, except_id: str | None = None) -> None:
    query = select(Endpoint.id).where(Endpoint.account_id == account_id, Endpoint.name == name)
    if except_id:
        query = query.where(Endpoint.id != except_id)
    if db.session.scalar(query) is not None:
        raise Conflict(f"You already have an endpoint named {name!r}.", code="name_taken")


def create(account_id: str, *, name: str, description: str = "", fields: list | None = None):
    """A new endpoint with its owner key pair; returns (endpoint, owner key plaintexts)."""
    count = db.session.scalar(select(func.count()).select_from(Endpoint).where(Endpoint.account_id == account_id))
    if count >= MAX_ENDPOINTS:
        raise AppError(f"An account can have at most {MAX_ENDPOINTS} endpoints.", code="too_many_endpoints")
    _name_free(account_id, name)
    endpoint = Endpoint(account_id=account_id, name=name, description=description or "", slug=new_slug(name),
                        webhook_secret=new_webhook_secret(),
                        sandbox_config={"fields": fields or [], "webhook": None,
                                        "notifications": dict(DEFAULT_NOTIFICATIONS)})
    db.session.add(endpoint)
    db.session.flush()
    _key, plaintext = key_service.create_pair(endpoint.id, name="owner", is_owner=True, created_by=account_id)
    db.session.flush()
    return endpoint, plaintext


def update(endpoint: Endpoint, changes: dict) -> Endpoint:
    """Apply `changes` (already validated): name, description, active, fields (sandbox),
    and for `environment`: webhook, notifications."""
    if "name" in changes and changes["name"] != endpoint.name:
        _name_free(endpoint.account_id, changes["name"], except_id=endpoint.id)
        endpoint.name = changes["name"]
    for attr in ("description", "active"):
        if attr in changes:
            setattr(endpoint, attr, changes[attr])
    env = changes.get("environment", SANDBOX)
    if env == PRODUCTION and endpoint.production_config is None and (
            "webhook" in changes or "notifications" in changes):
        raise AppError("Deploy first: production has no configuration yet.", code="not_deployed", status=409)
    if "fields" in changes:
        endpoint.sandbox_config = {**endpoint.sandbox_config, "fields": changes["fields"]}
    target = copy.deepcopy(endpoint.config(env))
    if "webhook" in changes:
        target["webhook"] = changes["webhook"]
    if "notifications" in changes:
        target["notifications"] = {**DEFAULT_NOTIFICATIONS, **(target.get("notifications") or {}),
                                   **changes["notifications"]}
    if "webhook" in changes or "notifications" in changes:
        setattr(endpoint, "sandbox_config" if env == SANDBOX else "production_config", target)
    endpoint.updated_at = utcnow()
    db.session.flush()
    return endpoint


def deploy(endpoint: Endpoint) -> Endpoint:
    if not endpoint.sandbox_succeeded:
        raise AppError("Make at least one successful sandbox call before deploying.",
                       code="sandbox_untested", status=409)
    endpoint.production_config = copy.deepcopy(endpoint.sandbox_config)
    endpoint.version += 1
    endpoint.deployed_at = utcnow()
    db.session.flush()
    return endpoint


def delete(endpoint: Endpoint) -> None:
    db.session.delete(endpoint)
    db.session.flush()


def owner_key(endpoint: Endpoint) -> EndpointKey:
    return db.session.scalar(select(EndpointKey).where(EndpointKey.endpoint_id == endpoint.id,
                                                       EndpointKey.is_owner.is_(True)))


def regenerate_owner_keys(endpoint: Endpoint) -> dict:
    plaintext = key_service.new_secrets(owner_key(endpoint))
    db.session.flush()
    return plaintext


def clear_sandbox(endpoint: Endpoint) -> int:
    result = db.session.execute(sql_delete(Record).where(Record.endpoint_id == endpoint.id,
                                                         Record.environment == SANDBOX))
    return result.rowcount or 0


def urls(endpoint: Endpoint) -> dict:
    base = current_app.config["BASE_URL"] + "/api/v1/data/" + endpoint.slug
    return {"data": base, "search": base + "/search"}
