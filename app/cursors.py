"""Opaque page cursors: a tagged sequence number, base64url-encoded.

The tag says which list a cursor belongs to, so a cursor from one list is refused by another
with a clear error instead of paging from a meaningless position. A cursor that could not
have been handed out (too long, not base64, a number past 64 bits) is refused the same way,
before it reaches a query.
"""

from __future__ import annotations

import base64
import re

from app.errors import ValidationFailed

MAX_LENGTH = 200
_SEQ = re.compile(r"[0-9]{1,18}")  # below 2**63: every sequence number a database can hold


def encode(tag: str, seq: int | str) -> str:
    return base64.urlsafe_b64encode(f"{tag}{seq}".encode()).decode().rstrip("=")


def unwrap(cursor: str) -> str:
    """The text inside a cursor; raises ValueError when it is not one."""
    if len(cursor) > MAX_LENGTH:
        raise ValueError("too long")
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")


def number(text: str) -> int:
    """A sequence number or id inside a cursor; raises ValueError unless it fits in 63 bits."""
    if not _SEQ.fullmatch(text):
        raise ValueError("not a sequence number")
    return int(text)


def decode(tag: str, cursor: str | None) -> int | None:
    """The sequence number in `cursor`, None for no cursor; raises ValidationFailed for a bad one."""
    return _read(tag, cursor, number)


def _read(tag: str, cursor: str | None, parse):
    """`parse` of the text after `tag` in `cursor`; None for no cursor; ValidationFailed for a bad one."""
    if not cursor:
        return None
    try:
        raw = unwrap(cursor)
        if not raw.startswith(tag):
            raise ValueError
        return parse(raw[len(tag):])
    except (ValueError, UnicodeError):
        raise invalid() from None


def encode_pair(tag: str, first: int, second: int) -> str:
    """A cursor holding two numbers (a time in microseconds and a sequence number, say)."""
    return encode(tag, f"{first}_{second}")


def decode_pair(tag: str, cursor: str | None) -> tuple[int, int] | None:
    """The two numbers in a cursor made by `encode_pair`; None for no cursor; ValidationFailed for a bad one."""
    return _read(tag, cursor, _pair)


def _pair(text: str) -> tuple[int, int]:
    first, sep, second = text.partition("_")
    if not sep:
        raise ValueError("not a pair")
    return number(first), number(second)


def invalid() -> ValidationFailed:
    """The error for a cursor that is not one this list handed out."""
    return ValidationFailed("The cursor is not valid; use next_cursor from the previous page.",
                            details={"cursor": ["not a cursor from this list"]})
