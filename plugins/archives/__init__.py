"""The `archives` family: daily files of production call logs older than 30 days, and retention.

Scheduled work (the worker runs these daily; `minapi archive run` runs them once):
`plugins.archives.services.archive_logs` and `plugins.archives.retention.purge_expired`.
"""

from app.plugin import hookimpl
from plugins.archives import actions as a


@hookimpl
def register_tools(tools):
    fam = tools.family("archives", summary="Archived call logs: daily files per endpoint, downloadable.")
    fam.action(a.list_archives, name="list", kind="read", http="GET /archives", args=a.ListArgs,
               returns=a.ArchiveList, title="List archive files")
    fam.action(a.download, kind="read", http="GET /archives/<endpoint>/<date>", args=a.DownloadArgs,
               returns=a.Download, title="Get a download link for an archive file")
    fam.action(a.delete_archive, name="delete", kind="destructive", http="DELETE /archives/<endpoint>/<date>",
               args=a.DayArgs, returns=a.Deleted, title="Delete an archive file")


@hookimpl
def find_archived_logs(endpoint, log_id, record_id, limit):
    from plugins.archives.services import find_archived

    return find_archived(endpoint, log_id=log_id, record_id=record_id, limit=limit)


@hookimpl
def register_blueprints(app):
    from plugins.archives.views import bp

    app.register_blueprint(bp)


@hookimpl
def account_deleting(account_id):
    from plugins.archives.services import delete_account_files

    delete_account_files(account_id)


@hookimpl
def register_jobs(jobs):
    from datetime import timedelta

    from plugins.archives.jobs import daily

    jobs.periodic("archives.daily", daily, every=timedelta(days=1))


@hookimpl
def register_commands(cli):
    from plugins.archives.cli import archive

    cli.add_command(archive)
