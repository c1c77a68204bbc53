"""Writes made shortly after the calls they record, in batches, by a thread of the process.

The shape shared by the activity trail (`app.activity.record.Trail`: the rows of reads and
refusals) and the data plane's read log (`app.gateway.read_log.ReadLog`: the call logs and
usage counters of data-plane reads). Neither has a transaction of its own to join, and a
commit per call would cost more than the call; so what they would write waits in the
process (`put`), and a thread writes what has gathered in one transaction (`write`) at most
`FLUSH_SECONDS` later, or at once when `MAX_WAITING` items wait. Whatever in this process
must see those writes calls `flush` first.

What a batch promises:
- An item the database refuses alone (its part undone) is dropped, and logged; the others
  are written. When the batch as a whole fails, its items are tried one by one.
- When nothing goes in (or the first `PROBE` tried alone fail), the database is at fault,
  not the items: they are kept (up to `KEEP_ON_FAILURE`) for the next flush, at the latest
  `RETRY_SECONDS` later.
- A forked worker starts afresh (its parent writes its own). A process that stops normally
  writes what waits on its way out (`atexit`; `flush_all` for gunicorn's `worker_exit`, see
  `app.server`). Items waiting when a process is killed outright (SIGKILL, a crash, the
  machine) are lost: at most `FLUSH_SECONDS` of them.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref

log = logging.getLogger(__name__)


class Deferred:
    """Items waiting to be written, and the thread that writes them (see the module doc).

    A subclass says how to `write` a batch, and may keep its own account of what waits
    (`added`, `gone`, `forked`, all called under `lock`).
    """

    FLUSH_SECONDS = 0.5
    MAX_WAITING = 0  # when this many wait, the thread writes them at once (0: no such limit)
    KEEP_ON_FAILURE = 10_000  # items kept for the next try when none could be written
    NAME = "rows"  # in log messages and the thread's name

    def __init__(self, app):
        self.app = app
        self.items: list = []
        self.lock = threading.Lock()
        self.flushing = threading.Lock()
        self.waiting = threading.Event()  # set when items wait
        self.full = threading.Event()  # set when MAX_WAITING items wait
        self.pid: int | None = None
        _ALL.add(self)

    # -- for subclasses ------------------------------------------------------------------------

    def write(self, items: list) -> list:
        """Write `items` in one transaction; return those the database refused alone (their part
        undone, the others written). Raise when the transaction failed as a whole."""
        raise NotImplementedError

    def added(self, item) -> None:
        """`item` now waits."""

    def gone(self, items: list) -> None:
        """`items` no longer wait: written, or dropped."""

    def forked(self) -> None:
        """This process is a fork: what its parent kept about waiting items is not its own."""

    def describe(self, items: list) -> str:
        """What `items` were, for the log of those dropped."""
        return f"{len(items)} {self.NAME}"

    # -- the waiting items ---------------------------------------------------------------------

    def put(self, item) -> None:
        with self.lock:
            if self.pid != os.getpid():
                self.items, self.pid = [], os.getpid()
                self.forked()
                threading.Thread(target=_write_while, args=(weakref.ref(self),), name=f"minapi-{self.NAME}",
                                 daemon=True).start()
            self.items.append(item)
            self.added(item)
            full = self.MAX_WAITING and len(self.items) >= self.MAX_WAITING
        if not self.waiting.is_set():
            self.waiting.set()
        if full:
            self.full.set()

    def unwritten(self) -> bool:
        """Whether items wait, or are being written (a `flush` would wait for them). Cheap."""
        return bool(self.items) or self.flushing.locked()

    def flush(self) -> None:
        """Write the waiting items now, and wait for those another thread is writing. Raises when
        none could be written (they are kept)."""
        if not self.unwritten():  # no lock taken
            return
        with self.flushing:
            with self.lock:
                items, self.items = self.items, []
            if not items:
                return
            try:
                refused = self.write(items)
            except Exception:
                log.exception("could not write %d %s at once; trying them one by one", len(items), self.NAME)
                refused = self._one_by_one(items)
            if refused and len(refused) == len(items):  # the database, not an item: keep them for later
                kept = items[:self.KEEP_ON_FAILURE]
                with self.lock:
                    self.items[:0] = kept
                    self.gone(items[len(kept):])
                if len(kept) < len(items):
                    log.error("dropped %s: more than %d waiting while the database fails",
                              self.describe(items[len(kept):]), self.KEEP_ON_FAILURE)
                raise RuntimeError(f"could not write {len(items)} {self.NAME}")
            with self.lock:
                self.gone(items)
            if refused:
                log.error("dropped %s the database refused", self.describe(refused))

    def flush_or_log(self) -> None:
        """`flush`, for a caller that must go on whatever happens: a failure is logged (the items
        are kept for the thread's next try)."""
        try:
            self.flush()
        except Exception:
            log.exception("could not write the waiting %s", self.NAME)

    def _one_by_one(self, items: list) -> list:
        """The items the database refuses when each is written alone; all of them once the first
        `PROBE` are refused (the database, not the items, is at fault)."""
        refused = []
        for tried, item in enumerate(items, 1):
            try:
                if not self.write([item]):
                    continue
            except Exception:
                pass
            refused.append(item)
            if len(refused) == tried == PROBE:
                return items
        return refused


PROBE = 3
RETRY_SECONDS = 5.0  # items kept after a failure are tried again this often while no others come
_ALL: weakref.WeakSet = weakref.WeakSet()


def _write_while(ref) -> None:
    """A batch's thread: it holds its `Deferred` only while writing, and ends once that is gone."""
    while True:
        deferred = ref()
        if deferred is None:
            return
        waiting, full, seconds = deferred.waiting, deferred.full, deferred.FLUSH_SECONDS
        del deferred
        if waiting.wait(RETRY_SECONDS):
            full.wait(seconds)
        waiting.clear()
        full.clear()
        deferred = ref()
        if deferred is None:
            return
        deferred.flush_or_log()  # nothing to do when nothing waits
        del deferred


@atexit.register
def flush_all() -> None:
    """Write what waits in this process, on its way out."""
    for deferred in list(_ALL):
        if deferred.pid == os.getpid():
            deferred.flush_or_log()
