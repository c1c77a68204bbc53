"""Background jobs: a table in the same database, so a job commits with the change that caused it.

`enqueue` adds a job to the current transaction; the worker (`minapi worker`) runs it later.
"""

from app.jobs.queue import enqueue  # noqa: F401
