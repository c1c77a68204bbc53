"""The per-key rate limit of the data plane (`MINAPI_DATA_RATE_LIMIT`): fixed windows per key.

With `MINAPI_REDIS_URL` the count lives in Redis through Flask-Limiter's storage, so every
host shares it. Without it each process counts in its own memory, in `LocalWindows`: the
`limits` memory storage starts a timer thread every few milliseconds to expire its keys,
which under load cost more than the rest of the check, so the gateway counts for itself.
"""

from __future__ import annotations

import math
import threading
import time

from flask import current_app
from limits import parse_many

from app.errors import AppError
from app.extensions import limiter

PURGE_AT = 4096  # keys remembered before stale windows are dropped


class LocalWindows:
    """Fixed-window hit counters in this process's memory, for the memory:// storage."""

    def __init__(self):
        self.counts: dict[tuple, list] = {}  # (key, environment, limit) -> [window number, hits, window length]
        self.lock = threading.Lock()

    def hit(self, item, key: tuple, now: float) -> float | None:
        """Count one hit of `key` against `item`; None when allowed, else seconds until the window ends."""
        expiry = item.get_expiry()
        window = int(now // expiry)
        slot = (*key, id(item))
        with self.lock:
            entry = self.counts.get(slot)
            if entry is None or entry[0] != window:
                if entry is None and len(self.counts) >= PURGE_AT:
                    self.purge(now)
                entry = self.counts[slot] = [window, 0, expiry]
            if entry[1] >= item.amount:
                return (window + 1) * expiry - now
            entry[1] += 1
        return None

    def purge(self, now: float) -> None:
        """Forget the keys whose window has ended (called with the lock held)."""
        self.counts = {slot: entry for slot, entry in self.counts.items() if entry[0] == int(now // entry[2])}


def limits_for(app) -> list:
    """The parsed limits, once per app (validated at start-up by app.config)."""
    found = app.extensions.get("minapi.data_rate_limits")
    if found is None:
        found = app.extensions["minapi.data_rate_limits"] = (parse_many(app.config["DATA_RATE_LIMIT"]),
                                                              LocalWindows())
    return found


def check_rate(key_id: str, environment: str) -> None:
    if not limiter.enabled:
        return
    app = current_app._get_current_object()
    items, local = limits_for(app)
    shared = not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    for item in items:
        retry = _hit_shared(item, key_id, environment) if shared else local.hit(item, (key_id, environment),
                                                                                time.time())
        if retry is not None:
            raise AppError(f"Too many calls with this key: the limit is {item}.", code="rate_limited",
                           status=429, headers={"Retry-After": str(max(1, math.ceil(retry)))},
                           details={"limit": str(item)})


def _hit_shared(item, key_id: str, environment: str) -> float | None:
    strategy = limiter.limiter
    if strategy.hit(item, "data-key", key_id, environment):
        return None
    return strategy.get_window_stats(item, "data-key", key_id, environment).reset_time - time.time()
