"""The daily archive-and-retention task the worker runs (the same work as `minapi archive run`)."""

from __future__ import annotations


def daily(job) -> dict:
    """Archive due production logs, then purge expired data; raise (so the worker retries with
    backoff) when some endpoint-day could not be archived: its logs stay in the table meanwhile."""
    from plugins.archives.retention import purge_expired
    from plugins.archives.services import archive_logs

    archived = archive_logs()
    purged = purge_expired()
    if archived["failed"]:
        raise RuntimeError(f"{len(archived['failed'])} endpoint-day(s) could not be archived")
    return {"archived": archived, "purged": purged}
