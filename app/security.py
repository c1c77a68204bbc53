"""Secrets: minting, hashing and comparing keys and tokens.

Keys and tokens are long random strings, so one SHA-256 is enough to store them
safely and lets the lookup use a plain unique index. Passwords are different (low
entropy) and go through Werkzeug's salted, slow hash instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash


def mint(prefix: str, nbytes: int = 24) -> tuple[str, str]:
    """A new secret `prefix + random` and its hash; show the first once, keep the second."""
    plaintext = prefix + secrets.token_urlsafe(nbytes)
    return plaintext, hash_secret(plaintext)


def hash_secret(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def display_prefix(plaintext: str, type_prefix: str, visible: int = 6) -> str:
    """What may be shown after creation: the type prefix (`tm_mcp_`) and a few characters."""
    return plaintext[: len(type_prefix) + visible] + "…"


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    return check_password_hash(stored_hash, password)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
