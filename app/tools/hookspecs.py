"""The hooks a minapi plugin may implement.

Every hook receives a registry or the app from core, so core validates what a
plugin contributes at the moment it is contributed. The README's "Writing a
plugin" section documents each hook listed here (a test keeps the two in step).
"""

from __future__ import annotations

import pluggy

from app.tools import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def register_tools(tools) -> None:
    """Declare tool families and their actions.

    Call ``tools.family(name, summary=...)`` once per family, then ``.action(...)`` per
    action. Each action becomes a REST route under ``/api/v1/`` and, unless it is
    destructive, an MCP tool. A registration that breaks a rule raises at once and
    stops start-up.

    :param tools: the :class:`app.tools.registry.ToolRegistry` of this app.
    :return: nothing; contribute through ``tools``.
    """


@hookspec
def register_blueprints(app) -> None:
    """Add Flask blueprints that are not tool actions (pages, downloads, webhooks in).

    Use it for HTML pages or raw endpoints; anything an AI assistant should be able to
    do belongs in ``register_tools`` instead.

    :param app: the Flask application being built.
    :return: nothing; call ``app.register_blueprint``.
    """


@hookspec
def register_commands(cli) -> None:
    """Add ``click`` commands to the ``minapi`` command line.

    Commands run inside an application context.

    :param cli: the app's ``click`` group (``app.cli``).
    :return: nothing; call ``cli.add_command`` or decorate with ``cli.command``.
    """



@hookspec
def register_jobs(jobs) -> None:
    """Declare background job handlers and periodic tasks.

    Call ``jobs.handler(kind, fn, max_attempts=8, on_failure=None)`` for each kind of job
    the plugin enqueues (with ``app.jobs.enqueue(kind, payload)``), and
    ``jobs.periodic(name, fn, every=timedelta(...))`` for work that recurs; the worker
    schedules periodic tasks itself, once across all workers. ``fn(job)`` receives an
    :class:`app.jobs.JobRun` (``payload``, ``attempt``, ``final``) inside an application
    context and its own transaction; raising retries it with backoff, raising
    ``app.jobs.Permanent`` gives up at once. A registration that breaks a rule raises at
    once and stops start-up.

    :param jobs: the :class:`app.jobs.registry.JobRegistry` of this app.
    :return: nothing; contribute through ``jobs``.
    """


@hookspec(firstresult=True)
def find_archived_logs(endpoint, log_id, record_id, limit) -> list | None:
    """Find archived call logs of one endpoint, for ``logs_fetch_archived``.

    The family that keeps archive files answers; the logs family asks through
    ``app.plugin.find_archived_logs`` so neither imports the other. Stops at first
    non-None result.

    :param endpoint: the endpoint (already checked to belong to the caller).
    :param log_id: one call log id (``log_…``), or None.
    :param record_id: every archived call that touched this record, or None.
    :param limit: at most this many rows, newest first.
    :return: a list of log rows (dicts as ``app.log_rows`` makes them), or None.
    """


@hookspec
def account_deleting(account_id) -> None:
    """Remove what the plugin keeps for an account outside the database (files, remote objects).

    Called by the ``account_delete`` action, inside its transaction, before the account's rows
    are deleted (the plugin's own rows that cascade from the account or its endpoints go with
    them). Raising an ``AppError`` stops the deletion; nothing is deleted then.

    :param account_id: the id (``acc_…``) of the account being deleted.
    :return: nothing.
    """
