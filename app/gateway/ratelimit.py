"""The per-key rate limit of the data plane (`MINAPI_DATA_RATE_LIMIT`), on Flask-Limiter's storage.

Memory storage limits each process on its own; with `MINAPI_REDIS_URL` every host shares one count.
"""

from __future__ import annotations

import math
import time

from flask import current_app
from limits import parse_many

from app.errors import AppError
from app.extensions import limiter


def check_rate(key_id: str, environment: str) -> None:
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in parse_many(current_app.config["DATA_RATE_LIMIT"]):
        if not strategy.hit(item, "data-key", key_id, environment):
            reset = strategy.get_window_stats(item, "data-key", key_id, environment).reset_time
            retry = max(1, math.ceil(reset - time.time()))
            raise AppError(f"Too many calls with this key: the limit is {item}.", code="rate_limited",
                           status=429, headers={"Retry-After": str(retry)}, details={"limit": str(item)})
