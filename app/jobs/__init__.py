"""Background jobs: a table in the same database, so a job commits with the change that caused it.

queue.py     `enqueue` adds a job to the current transaction; `retry_delay` is the backoff schedule
registry.py  handlers and periodic tasks, contributed through the `register_jobs` hook
worker.py    the loop behind `minapi worker`: claim, run, retry or bury, schedule periodic tasks
core.py      core's periodic task (pruning old jobs)
"""

from app.jobs.queue import enqueue  # noqa: F401
from app.jobs.registry import JobRun, Permanent  # noqa: F401
