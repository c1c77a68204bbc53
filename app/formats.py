"""Formats checked at the edges, by core and plugins alike: http(s) URLs, header names, moments."""

from __future__ import annotations

import re
from datetime import datetime, timezone

HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.I)
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")  # an HTTP token (RFC 9110)


def is_http_url(value) -> bool:
    return isinstance(value, str) and bool(HTTP_URL.match(value))


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or date-time as an aware datetime; no zone means UTC. Raises ValueError."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
