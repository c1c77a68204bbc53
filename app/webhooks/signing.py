"""Standard Webhooks (https://www.standardwebhooks.com) signing.

A secret is `whsec_` + base64 of random bytes (made by the gateway with each endpoint); the
HMAC key is those bytes. Each request carries `webhook-id` (one per event, the same on every
retry), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

PREFIX = "whsec_"
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock


def key_of(secret: str) -> bytes:
    """The HMAC key, decoded the way the reference libraries decode it (prefix optional)."""
    body = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    return base64.b64decode(body + "==")  # tolerates unpadded base64, like the reference code


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(key_of(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def verify(secret: str, received: dict, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does: the timestamp is recent and one `v1` signature matches."""
    lowered = {k.lower(): v for k, v in received.items()}
    msg_id, stamp = lowered.get("webhook-id"), lowered.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    expected = sign(secret, msg_id, int(stamp), body)
    return any(hmac.compare_digest(expected, given)
               for given in lowered.get("webhook-signature", "").split(" ") if given.startswith("v1,"))
