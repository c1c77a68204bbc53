"""Device login: codes for hosts without a browser, a person's approval, and the mcp-exchange.

Two flows share one table. RFC 8628 (`flow="oauth"`): a registered client polls the
token endpoint and gets OAuth tokens. The seed's flow (`flow="session"`): the host
polls `/v1/auth/device-code/poll`, receives a one-time `session_token`, and trades it
at `/v1/auth/mcp-exchange` for a fresh `tm_mcp_` key labelled `mcp:{client_id}:{label}`.
Every function here is a service: explicit arguments, `AppError`s, no commit.
"""

from __future__ import annotations

import re
from datetime import timedelta

from authlib.oauth2.rfc8628.endpoint import create_string_user_code
from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Account
from app.auth import mcp_keys
from app.auth.actor import READ, WRITE
from app.auth.oauth.models import DeviceCode
from app.db import utcnow
from app.errors import AppError, Forbidden, NotFound, Unauthorized
from app.extensions import db
from app.security import hash_secret, mint

CODE_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(minutes=10)
INTERVAL = 5
SESSION_PREFIX = "stk_"
LABEL_MAX = 100
CLIENT_CODE = re.compile(r"([A-Za-z0-9]{4})-?([A-Za-z0-9]{4})")


class DeviceCodeExists(AppError):
    status, code = 409, "device_code_exists"
    message = "This device_code is already in use; generate a new one."


def verification_uri() -> str:
    return current_app.config["BASE_URL"] + "/device"


def client_device_code(value) -> str:
    """A client-generated device code (CueAPI's clients send one): 8 letters or digits, as `XXXX-XXXX`.

    It is also the code the person sees, so it is the user code too.
    """
    match = CLIENT_CODE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise AppError("device_code must be 8 letters or digits, written XXXX-XXXX (or without the dash).",
                       code="invalid_device_code", status=400)
    return f"{match[1]}-{match[2]}".upper()


def create(flow: str, client_id: str, scope: str, device_code: str | None = None) -> dict:
    """A new device code (made here, or the client's own); returns the RFC 8628 §3.2 response."""
    if device_code is None:
        device_code, digest = mint("mdc_", 32)
        user_code = create_string_user_code()
        while db.session.scalar(select(DeviceCode.id).where(DeviceCode.user_code == user_code)):
            user_code = create_string_user_code()
    else:
        user_code, digest = device_code, hash_secret(device_code)
        taken = or_(DeviceCode.device_code_hash == digest, DeviceCode.user_code == user_code)
        if db.session.scalar(select(DeviceCode.id).where(taken)):
            raise DeviceCodeExists()
    db.session.add(DeviceCode(device_code_hash=digest, user_code=user_code, flow=flow, client_id=client_id[:512],
                              scope=scope, interval=INTERVAL, expires_at=utcnow() + CODE_TTL))
    try:
        db.session.flush()
    except IntegrityError:  # the same client code sent twice at once
        db.session.rollback()
        raise DeviceCodeExists() from None
    uri = verification_uri()
    return {"device_code": device_code, "user_code": user_code, "verification_uri": uri,
            "verification_uri_complete": f"{uri}?user_code={user_code}",
            "expires_in": int(CODE_TTL.total_seconds()), "interval": INTERVAL}


def normalize_user_code(text: str | None) -> str:
    letters = re.sub(r"[^A-Za-z0-9]", "", text or "").upper()[:8]
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


def pending(user_code: str) -> DeviceCode:
    """The live, not yet decided device code a person typed in; NotFound otherwise."""
    row = db.session.scalar(select(DeviceCode).where(DeviceCode.user_code == normalize_user_code(user_code)))
    if row is None or row.status != "pending" or row.is_expired():
        raise NotFound("This code is unknown, already used or expired. Start the sign-in again on the device.",
                       code="invalid_user_code")
    return row


def decide(account_id: str, user_code: str, *, approve: bool, write: bool) -> DeviceCode:
    """The signed-in person approves (with read or read+write) or denies a device code."""
    row = pending(user_code)
    if approve:
        chosen = {READ, WRITE} if write else {READ}
        row.scope = " ".join(s for s in (READ, WRITE) if s in chosen and s in row.scope.split()) or READ
    row.status = "approved" if approve else "denied"
    row.account_id = account_id
    return row


def poll(device_code: str) -> dict:
    """The seed's poll: pending, denied, expired, or approved with a one-time session token."""
    if CLIENT_CODE.fullmatch(device_code or ""):
        device_code = client_device_code(device_code)
    row = db.session.scalar(select(DeviceCode).where(DeviceCode.device_code_hash == hash_secret(device_code or ""),
                                                     DeviceCode.flow == "session"))
    if row is None:
        raise AppError("Unknown device_code.", code="invalid_device_code", status=400)
    if row.status in ("issued", "used"):
        raise AppError("This device code has already been exchanged for a session token.",
                       code="device_code_used", status=400)
    if row.status == "pending" and row.is_expired():
        return {"status": "expired"}
    if row.status != "approved":
        return {"status": row.status, "interval": row.interval} if row.status == "pending" else {"status": row.status}
    token, digest = mint(SESSION_PREFIX, 32)
    row.status, row.session_token_hash, row.session_expires_at = "issued", digest, utcnow() + SESSION_TTL
    return {"status": "approved", "session_token": token, "expires_in": int(SESSION_TTL.total_seconds())}


def check_exchange_allowed(client_id: str | None = None) -> None:
    allowed = current_app.config["ALLOWED_MCP_CLIENT_IDS"]
    if not allowed:
        raise Forbidden("The MCP token exchange is disabled on this deployment (no allowed client ids).",
                        code="mcp_exchange_disabled")
    if client_id is not None and client_id not in allowed:
        raise Forbidden("This client_id is not allowed to exchange tokens here.", code="invalid_client_id")


def session_account(session_token: str) -> tuple[DeviceCode, str]:
    """The device row and account behind a live, unused session token."""
    row = db.session.scalar(select(DeviceCode).where(DeviceCode.session_token_hash == hash_secret(session_token)))
    if row is None or row.status != "issued" or row.session_expires_at is None or row.session_expires_at <= utcnow():
        raise Unauthorized("The session token is invalid, expired or already used.", code="invalid_token")
    if row.account_id is None or db.session.get(Account, row.account_id) is None:
        raise Unauthorized("The account of this session token no longer exists.", code="user_not_found")
    return row, row.account_id


def exchange(row: DeviceCode, client_id: str, label: str) -> dict:
    """Consume the session token and mint the key; the plaintext is in the answer only."""
    row.status = "used"
    key, plaintext = mcp_keys.create(row.account_id, f"mcp:{client_id}:{label}"[:LABEL_MAX],
                                     scopes=row.scope, created_by="mcp-exchange")
    return {"api_key": plaintext, "user_id": row.account_id, "key_id": key.id, "expires_at": None}
