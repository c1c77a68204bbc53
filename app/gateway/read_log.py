"""The data plane's read log: the call logs and usage counters of reads, written after the answer.

A data-plane read over HTTP (`get`, `list`, `search`, whether it succeeds or fails) changes
no record, so nothing is lost to its caller if its log and counters are written a moment
later. Committing them before each answer cost a GET about a third of its time (a write
transaction, on SQLite the writer slot too). So `app.gateway.views.save` puts them here
instead (an `app.deferred` batch): this process's thread writes what has gathered in one
transaction at most `FLUSH_SECONDS` later, or at once when `MAX_WAITING` wait. Writes
(`create`, `replace`, `delete`) are not deferred: their record, log, counters and webhook job
commit together before the answer (SPEC §2).

What it promises:
- Lag: a read's log and counters are in the database at most `FLUSH_SECONDS` (plus one batch
  write) after its answer. Any request this process hands to Flask (REST, MCP, dashboard)
  first writes what waits (`DataPlane`), so it sees every read answered before it; another
  process may see them up to that lag later.
- Quota: `usage.check_quota` adds this process's waiting charged reads of the account and
  cycle (`charged`), so a process never admits more calls than the plan allows because its
  own reads wait. Across processes the count may lag by the same bound, as concurrent calls
  in flight already could: processes may overshoot by the reads of the last `FLUSH_SECONDS`.
- Loss: reads waiting when the process is killed outright (SIGKILL, a crash) are lost, at
  most `FLUSH_SECONDS` of them; a normal stop (gunicorn's SIGTERM, exit) writes them first.
  A read the database refuses alone is dropped and logged (`app.deferred`); the others of its
  batch are written.
- Not deferred, written before the answer as before: a failed read whose endpoint wants an
  alert for it (the alert's job reads its log), a read that marks the sandbox as having
  succeeded (a deploy may follow at once), and the api_call tools' calls (`calls.handle`, in
  their action's own transaction). A SQLite database in memory (one per connection) writes
  every call at once. A usage alert a waiting read raises is queued at once, as before.
- Order: the logs are listed by sequence number. A write, before its own commit, writes the
  reads waiting in its process, so one process's calls keep their order; across processes a
  read may be listed after calls made up to the lag after it.

On SQLite a batch goes through the group commit's `_write` on the calling thread
(`GroupCommit.write_here`): inside the writer slot, each call in its own savepoint, so a call
whose writes fail is undone alone. On PostgreSQL it is one transaction on the flushing
thread's own connection, each statement sent for the whole batch at once (`executemany`,
pipelined), the counter upserts last and in one order (`in_lock_order`), so two batches, or a
batch and a single call, never wait for each other's counter rows in a cycle.
"""

from __future__ import annotations

from app.deferred import Deferred
from app.gateway import sql
from app.gateway.calls import failed_call_alert_wanted

READS = ("get", "list", "search")
# The counter upserts, last in a batch and sorted by the row they update (see the module doc).
LOCK_ORDER = ((sql.ADD_DAILY, ("endpoint_id", "environment", "key_id", "day", "shard")),
              (sql.ADD_CYCLE, ("account_id", "cycle_start", "shard")))


def may_wait(outcome) -> bool:
    """Whether a logged call's writes may be written after its answer (see the module doc)."""
    call = outcome.call
    return (call.action in READS and sql.MARK_SANDBOX_SUCCEEDED not in call.writes.statements
            and not failed_call_alert_wanted(call, outcome))


def charge_of(params: dict) -> tuple | None:
    """(account, cycle start) a call's writes charge to the plan, or None."""
    cycle = params.get("cycle_start")
    return None if cycle is None else (params["account_id"], cycle)


class ReadLog(Deferred):
    """The writes (`sql.Writes`) of this process's data-plane reads waiting to be written."""

    FLUSH_SECONDS = 0.05
    MAX_WAITING = 64
    NAME = "read call logs"

    def __init__(self, app):
        super().__init__(app)
        self.charged: dict[tuple, int] = {}  # (account id, cycle start in storage form) -> waiting reads
        self.written = 0  # batches written: `usage.check_quota` tells whether its counts are of one moment

    def waiting_charges(self, account_id: str, cycle_start) -> int:
        return self.charged.get((account_id, cycle_start), 0)

    def added(self, writes) -> None:
        charge = charge_of(writes.params)
        if charge is not None:
            self.charged[charge] = self.charged.get(charge, 0) + 1

    def gone(self, items: list) -> None:
        self.written += 1  # before the charges go: see `usage.check_quota`
        for writes in items:
            charge = charge_of(writes.params)
            if charge is not None:
                left = self.charged.get(charge, 0) - 1
                if left > 0:
                    self.charged[charge] = left
                else:
                    self.charged.pop(charge, None)

    def forked(self) -> None:
        self.charged = {}

    def describe(self, items: list) -> str:
        return f"{len(items)} read call logs: " + ", ".join(
            f"{w.params.get('action')} {w.params.get('log_id')}" for w in items[:20])

    def write(self, items: list) -> list:
        from app.writer import group_commit_for

        group = group_commit_for(self.app)
        if group is None:
            self._write_postgres(items)
            return []
        errors = group.write_here(items)
        refused = [writes for writes, error in zip(items, errors) if error is not None]
        if len(refused) == len(items):
            raise errors[0]  # as a whole, or every call alone: the caller tells which
        return refused

    def _write_postgres(self, items: list) -> None:
        dbapi = self.app.extensions["minapi.data_connections"].get().dbapi  # this thread's own, autocommit
        with dbapi.transaction(), dbapi.cursor() as cursor:
            for raw, params in in_lock_order(items):
                cursor.executemany(raw.postgresql, params)


def in_lock_order(items: list) -> list[tuple[sql.Raw, list[dict]]]:
    """Each statement of a batch with the parameters of every call that makes it, in the order
    the calls first make them, then the counter upserts as `LOCK_ORDER` says."""
    groups: dict[sql.Raw, list[dict]] = {}
    for writes in items:
        for raw in writes.statements:
            groups.setdefault(raw, []).append(writes.params)
    for raw, names in LOCK_ORDER:
        rows = groups.pop(raw, None)
        if rows:
            groups[raw] = sorted(rows, key=lambda params: tuple(str(params[name]) for name in names))
    return list(groups.items())


def install(app) -> ReadLog | None:
    """Give the app its read log, unless its database is SQLite in memory (one per connection:
    another connection would write somewhere else)."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and (not url.database or url.database == ":memory:"):
        return None
    app.extensions["minapi.read_log"] = read_log = ReadLog(app)
    return read_log
