"""The job registry: which function runs each kind of job, and which tasks recur.

Plugins (and core) contribute through the `register_jobs(jobs)` hook, like tools:

    @hookimpl
    def register_jobs(jobs):
        jobs.handler("mail.digest", send_digest, max_attempts=5)
        jobs.periodic("mail.cleanup", cleanup, every=timedelta(hours=1))

A handler is `fn(job)` with `job` a `JobRun`. Returning means done; raising means the
attempt failed and the job is retried with backoff until `max_attempts`, then marked
dead. Raise `Permanent` to give up at once. `on_failure(job, error, dead)` runs after a
failed attempt in the transaction that records it (the handler's own writes are rolled
back), so a handler can keep an outcome of a failed attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")  # owner.what, e.g. webhook.deliver
MAX_KIND = 60
DEFAULT_MAX_ATTEMPTS = 8


class JobRegistrationError(ValueError):
    """A plugin tried to register a job handler or periodic task that breaks a rule."""


class Permanent(Exception):
    """Raised by a handler: this job cannot succeed by retrying; mark it dead now."""


@dataclass(frozen=True)
class JobRun:
    """What a handler sees of the job it runs."""

    id: int
    kind: str
    payload: dict
    attempt: int  # 1 for the first try
    max_attempts: int

    @property
    def final(self) -> bool:
        """True when a failure of this attempt makes the job dead."""
        return self.attempt >= self.max_attempts


@dataclass(frozen=True)
class Handler:
    kind: str
    fn: Callable[[JobRun], object]
    max_attempts: int
    on_failure: Callable[[JobRun, BaseException, bool], object] | None
    plugin: str


@dataclass(frozen=True)
class Periodic:
    name: str  # also the kind of the job it enqueues
    every: timedelta
    plugin: str


class JobRegistry:
    """Everything plugins declared through `register_jobs`; kept in `app.extensions["minapi.jobs"]`."""

    def __init__(self):
        self.handlers: dict[str, Handler] = {}
        self.periodics: dict[str, Periodic] = {}
        self.current_plugin = ""

    def handler(self, kind: str, fn: Callable, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                on_failure: Callable | None = None) -> Handler:
        """Run `fn(job)` for jobs of `kind` (``owner.what``, lower case).

        :param max_attempts: tries before the job is dead, when `enqueue` names none.
        :param on_failure: ``fn(job, error, dead)`` called after each failed attempt.
        """
        if not isinstance(kind, str) or not KIND_RE.match(kind) or len(kind) > MAX_KIND:
            raise JobRegistrationError(f"job kind {kind!r} must look like 'owner.what' (lower case, "
                                       f"at most {MAX_KIND} characters)")
        if not callable(fn) or (on_failure is not None and not callable(on_failure)):
            raise JobRegistrationError(f"{kind}: the handler and on_failure must be functions")
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or not 1 <= max_attempts <= 50:
            raise JobRegistrationError(f"{kind}: max_attempts must be a whole number from 1 to 50")
        if kind in self.handlers:
            raise JobRegistrationError(f"{kind}: a handler is already registered "
                                       f"(plugin {self.handlers[kind].plugin!r})")
        handler = Handler(kind, fn, max_attempts, on_failure, self.current_plugin)
        self.handlers[kind] = handler
        return handler

    def periodic(self, name: str, fn: Callable, *, every: timedelta, max_attempts: int = 1) -> Periodic:
        """Run `fn(job)` every `every`, once across all workers; `name` is also its job kind."""
        if not isinstance(every, timedelta) or every.total_seconds() <= 0:
            raise JobRegistrationError(f"{name}: every must be a positive timedelta")
        self.handler(name, fn, max_attempts=max_attempts)
        task = Periodic(name, every, self.current_plugin)
        self.periodics[name] = task
        return task

    def get(self, kind: str) -> Handler | None:
        return self.handlers.get(kind)
