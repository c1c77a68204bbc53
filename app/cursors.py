"""Opaque page cursors: a tagged sequence number, base64url-encoded.

The tag says which list a cursor belongs to, so a cursor from one list is refused by another
with a clear error instead of paging from a meaningless position.
"""

from __future__ import annotations

import base64

from app.errors import ValidationFailed


def encode(tag: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{tag}{seq}".encode()).decode().rstrip("=")


def decode(tag: str, cursor: str | None) -> int | None:
    """The sequence number in `cursor`, None for no cursor; raises ValidationFailed for a bad one."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(tag):
            raise ValueError
        return int(raw[len(tag):])
    except (ValueError, UnicodeDecodeError):
        raise invalid() from None


def invalid() -> ValidationFailed:
    """The error for a cursor that is not one this list handed out."""
    return ValidationFailed("The cursor is not valid; use next_cursor from the previous page.",
                            details={"cursor": ["not a cursor from this list"]})
