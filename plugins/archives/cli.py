"""`minapi archive run`: archive due production logs and purge what has expired, once."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup


@click.group("archive", cls=AppGroup)
def archive():
    """Archives and retention."""


@archive.command("run")
def run():
    """Archive production call logs older than 30 days, then delete expired sandbox data and endpoints."""
    from plugins.archives.retention import purge_expired
    from plugins.archives.services import archive_logs

    archived = archive_logs()
    purged = purge_expired()
    click.echo(json.dumps({"archived": archived, "purged": purged}, indent=2))
    if archived["failed"]:
        raise click.ClickException(f"{len(archived['failed'])} endpoint-day(s) could not be archived; "
                                   "their logs are still in the table and will be retried")
