"""Formats checked at the edges, by core and plugins alike: http(s) URLs, header names, ids, moments.

Moments follow SPEC §2 everywhere (data search, logs_search, stats_get): ISO 8601, a time
without a zone is UTC, and a date without a time means the whole UTC day, so a range's end
given as a date includes that day. A moment that cannot exist in UTC (past either end of
the calendar once converted) is a ValueError, like any other garbage.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")  # an HTTP token (RFC 9110)
ID_MAX = 32  # every public id column (rec_…, log_…, ep_…) holds at most this many characters
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_http_url(value) -> bool:
    return isinstance(value, str) and bool(HTTP_URL.match(value))


def storable_id(value: str | None) -> str | None:
    """`value` if it could be one of our ids (and so fits an id column), else None."""
    if value is None or len(value) > ID_MAX or "\x00" in value:
        return None
    return value


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime; no zone means UTC. A date alone is
    its first instant, or with `end=True` its last (the whole day is in the range). Raises ValueError."""
    text = text.strip()
    if len(text) > 40:
        raise ValueError("too long for a date or time")
    if _DAY.fullmatch(text):
        moment = datetime.combine(date.fromisoformat(text), time.max if end else time.min, timezone.utc)
        return moment
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("out of range: before year 1 or after year 9999 in UTC") from None


def before(moment: datetime, span: timedelta) -> datetime:
    """`moment - span`, or the earliest moment when that would fall before year 1."""
    return moment - span if moment - EARLIEST > span else EARLIEST
