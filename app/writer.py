"""SQLite's one writer: a writer slot taken in turn, and group commit for the data plane.

SQLite lets one transaction write at a time. Without a queue, writers collide on its lock
and wait in its busy handler, which sleeps in steps of up to 100 ms, so a busy server
answers slowly while its processors idle. `WriterSlot` is that queue: a mutex (the threads
of one process) and then an exclusive `flock` on a file beside the database (the processes
of one machine; the kernel releases it if a process dies), held only for the writes and the
commit.

`GroupCommit` goes further for data-plane calls, whose writes are gathered before they are
made (see `app.gateway.calls`): one thread per process writes the calls that are waiting,
each inside its own savepoint, and commits them together. A call is answered only after
that commit, so nothing acknowledged can be lost; a call whose writes fail is rolled back to
its savepoint alone. One commit then serves many calls. A process that serves one request at
a time (gunicorn's sync workers, `minapi serve --threads 1`) has no calls to group: there the
calling thread writes its own call the same way (`inline`), without the hand-over. Data-plane
reads are not answered after a commit: their call logs and counters wait in the process and
are written in batches by the read log's thread (`app.gateway.read_log`), through the same
`_write` on the inline writer's connection (`write_here`), inside the same writer slot. Every
`CATCH_UP_CALLS` calls or `CATCH_UP_SECONDS`, the group also indexes the rows waiting for the full-text index
(`app.search.catch_up_sql`), so searches seldom have to. While it runs, a second thread
copies the committed WAL back into the database file every `CHECKPOINT_SECONDS` (a PASSIVE
checkpoint, which waits for no reader or writer); otherwise SQLite would do it inside the
commit that crosses 1000 WAL pages, with the writer slot held and every waiting call waiting
for the copy and its fsync. PostgreSQL needs none of this: it writes many transactions at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
import weakref

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the mutex alone still queues one process
    fcntl = None

log = logging.getLogger(__name__)
MAX_BATCH = 64  # calls per group transaction
IDLE_EXIT = 5.0  # seconds without calls before the writing thread stops (the next call starts another)
CATCH_UP_CALLS, CATCH_UP_SECONDS = 500, 1.0  # the full-text index is brought up to date this often
CHECKPOINT_SECONDS = 0.1  # the WAL is copied back into the database this often while calls come


class WriterSlot:
    """A context manager: `with slot:` holds the database's writer slot."""

    def __init__(self, database_path: str | None):
        self.lock_path = f"{database_path}-writer" if database_path and fcntl else None
        self.mutex = threading.Lock()
        self.fd: int | None = None
        self.pid: int | None = None

    def __enter__(self):
        self.mutex.acquire()
        try:
            if self.lock_path:
                fcntl.flock(self._fd(), fcntl.LOCK_EX)
        except BaseException:
            self.mutex.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self.lock_path:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.mutex.release()

    def _fd(self) -> int:
        # A forked worker must open its own: a lock on a descriptor inherited across fork is shared.
        if self.pid != os.getpid():
            self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
            weakref.finalize(self, os.close, self.fd)
        return self.fd


class _Pending:
    """One call waiting for its writes to commit: `done` is held until then (cheaper than an Event)."""

    __slots__ = ("writes", "done", "error")

    def __init__(self, writes):
        self.writes = writes
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None


class GroupCommit:
    """One writing thread per process for the data plane's calls on SQLite (see the module doc)."""

    def __init__(self, app, slot: WriterSlot):
        self.app = app
        self.slot = slot
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.running: int | None = None  # the pid whose thread is running
        self.start_lock = threading.Lock()
        self.since_catch_up = 0  # calls written since the last catch-up
        self.caught_up_at = time.monotonic()
        self.inline = False  # set by the server when each process serves one request at a time
        self.inline_lock = threading.Lock()
        self.inline_db = None  # (pid, pooled connection, its DB-API connection) of the inline writer
        self.last_call = time.monotonic()
        self.checkpointing = False

    def commit(self, writes) -> None:
        """Write `writes` (an `app.gateway.sql.Writes`) and return once they are committed; raises
        what writing them raised, after rolling them back."""
        if self.inline:
            [error] = self.write_here([writes])
            if error is not None:
                raise error
            return
        pending = _Pending(writes)
        with self.start_lock:  # a thread that is stopping for idleness checks the queue under it
            if self.running != os.getpid():  # none yet in this process (a forked worker starts its own)
                self.queue = queue.SimpleQueue()
                threading.Thread(target=self._run, name="minapi-group-commit", daemon=True).start()
                self.running = os.getpid()
            self.queue.put(pending)
        pending.done.acquire()  # released by the writing thread once the group is committed
        if pending.error is not None:
            raise pending.error

    def _run(self) -> None:
        from app.extensions import db

        with self.app.app_context():
            pooled = db.engine.raw_connection()  # this thread's own while it runs
        dbapi = pooled.driver_connection
        autocheckpoint = dbapi.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        dbapi.execute("PRAGMA wal_autocheckpoint=0")  # the checkpoint thread does it, out of the slot
        stopped = threading.Event()
        threading.Thread(target=self._checkpoint, args=(lambda: stopped.wait(CHECKPOINT_SECONDS),),
                         name="minapi-checkpoint", daemon=True).start()
        try:
            while (batch := self._next_batch()) is not None:
                try:
                    self._write(dbapi, batch)
                except BaseException as exc:  # e.g. the writer slot could not be taken: nothing was written
                    for pending in batch:
                        pending.error = pending.error or exc
                finally:
                    for pending in batch:
                        pending.done.release()
        finally:
            stopped.set()
            with contextlib.suppress(Exception):  # back to the pool as it came
                dbapi.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
            pooled.close()

    def write_here(self, writes: list) -> list[BaseException | None]:
        """Write each of `writes` (`app.gateway.sql.Writes`) on the calling thread, in groups of
        MAX_BATCH, each call in its own savepoint; return each call's error (None: committed).
        The inline writer's `commit` (its call is the group, see the module doc) and the data
        plane's read log (`app.gateway.read_log`), on the inline writer's connection."""
        batch = [_Pending(w) for w in writes]
        with self.inline_lock:
            dbapi = self._inline_connection()
            self.last_call = time.monotonic()
            if not self.checkpointing:  # stopped after IDLE_EXIT seconds without calls
                self.checkpointing = True
                threading.Thread(target=self._checkpoint, args=(self._inline_idle,), name="minapi-checkpoint",
                                 daemon=True).start()
            for start in range(0, len(batch), MAX_BATCH):
                self._write(dbapi, batch[start:start + MAX_BATCH])
        return [pending.error for pending in batch]

    def _inline_connection(self):
        """The inline writer's own connection (one per process), the WAL left to the checkpoint thread."""
        from app.extensions import db

        if self.inline_db is None or self.inline_db[0] != os.getpid():  # a forked worker opens its own
            with self.app.app_context():
                pooled = db.engine.raw_connection()
            pooled.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
            self.inline_db = (os.getpid(), pooled, pooled.driver_connection)
            self.checkpointing = False
        return self.inline_db[2]

    def _checkpoint(self, done) -> None:
        """Copy the committed WAL frames into the database every CHECKPOINT_SECONDS, holding no writer
        slot (see the module doc), until `done()` (which waits those seconds) says to stop."""
        from app.extensions import db

        with self.app.app_context():
            pooled = db.engine.raw_connection()
        try:
            while not done():
                try:
                    pooled.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # e.g. a full disk: the WAL keeps the data; try again next time
                    log.exception("WAL checkpoint failed")
        finally:
            pooled.close()

    def _inline_idle(self) -> bool:
        """The inline writer's `done` for its checkpoint thread: true after IDLE_EXIT seconds without a call."""
        time.sleep(CHECKPOINT_SECONDS)
        with self.inline_lock:
            if time.monotonic() - self.last_call < IDLE_EXIT:
                return False
            self.checkpointing = False
            return True

    def _next_batch(self) -> list[_Pending] | None:
        """The calls waiting now (at least one), or None after IDLE_EXIT seconds without any."""
        while True:
            try:
                batch = [self.queue.get(timeout=IDLE_EXIT)]
                break
            except queue.Empty:
                with self.start_lock:
                    if self.queue.empty():
                        self.running = None
                        return None
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, dbapi, batch: list[_Pending]) -> None:
        cursor = dbapi.cursor()
        alone = len(batch) == 1  # the transaction is the call's own: no savepoint needed to undo it alone
        with self.slot:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                for pending in batch:
                    if not alone:
                        cursor.execute("SAVEPOINT call")
                    try:
                        for raw in pending.writes.statements:
                            cursor.execute(raw.sqlite, pending.writes.params)
                    except Exception as exc:  # this call alone is undone
                        pending.error = exc
                        if alone:
                            dbapi.rollback()
                            return
                        cursor.execute("ROLLBACK TO call")
                    if not alone:
                        cursor.execute("RELEASE call")
                if self._catch_up_due(len(batch)):
                    self._catch_up(cursor)
                dbapi.commit()
            except Exception as exc:  # the whole group is undone: none of it was acknowledged
                log.exception("group commit failed")
                with contextlib.suppress(Exception):
                    dbapi.rollback()
                for pending in batch:
                    pending.error = pending.error or exc


    def _catch_up_due(self, calls: int) -> bool:
        self.since_catch_up += calls
        return (self.since_catch_up >= CATCH_UP_CALLS
                or time.monotonic() - self.caught_up_at >= CATCH_UP_SECONDS)

    def _catch_up(self, cursor) -> None:
        """Index the pending rows in this group's transaction; a failure leaves them pending (the
        next search indexes them) and the calls untouched."""
        from app.search import SEARCHABLE, catch_up_sql

        self.since_catch_up, self.caught_up_at = 0, time.monotonic()
        cursor.execute("SAVEPOINT catch_up")
        try:
            for table in SEARCHABLE:
                for statement in catch_up_sql(table):
                    cursor.execute(statement)
        except Exception:
            log.exception("full-text catch-up failed")
            cursor.execute("ROLLBACK TO catch_up")
        cursor.execute("RELEASE catch_up")


def slot_for(app):
    """The app's SQLite writer slot, or a no-op context for PostgreSQL."""
    return app.extensions.get("minapi.sqlite_slot") or contextlib.nullcontext()


def group_commit_for(app) -> GroupCommit | None:
    """The app's group commit on SQLite; None on PostgreSQL."""
    return app.extensions.get("minapi.group_commit")


def install(app) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        return
    path = url.database if url.database and url.database != ":memory:" else None
    slot = WriterSlot(os.path.abspath(path) if path else None)
    app.extensions["minapi.sqlite_slot"] = slot
    if path:  # an in-memory database is one per connection: the group's thread would not see it
        app.extensions["minapi.group_commit"] = GroupCommit(app, slot)
