"""The `minapi` command line: a Flask CLI group with the instance's own commands.

`minapi serve`, `minapi worker`, `minapi users …`, `minapi keys …`, `minapi plugins list`,
`minapi tools list`, and Flask-Migrate's `minapi db …`.

Starting fast: the command group knows the instance's own commands without building the app,
and commands installed by other packages (`db`, `limiter`) are imported only when run, so
`minapi --help` loads neither the app nor its database layer. A command builds the app (never
the MCP SDK, which only serving imports) when it runs; plugin commands are found by name.
"""

from __future__ import annotations

import importlib
import json
from importlib.metadata import entry_points

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext

PLUGIN_COMMANDS_HINT = ("Enabled plugins add commands of their own: `minapi plugins commands` lists "
                        "them (it loads the app).")


def _factory():
    from app import StartupError, create_app

    try:
        return create_app()
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None


class LazyCommand(click.Command):
    """A command from another package, imported only when it is run (not to list it)."""

    def __init__(self, name: str, target: str, short_help: str):
        super().__init__(name, short_help=short_help)
        self.target = target

    def load(self) -> click.Command:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)


class MinapiGroup(FlaskGroup):
    """Flask's command group, listing and finding commands without building the app."""

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        # Flask-Migrate adds `db` to the app's commands; named here so it is found before the app.
        self.add_command(LazyCommand("db", "flask_migrate.cli:db", "Perform database migrations (Flask-Migrate)."))
        for ep in entry_points(group="flask.commands"):
            summary = ep.dist.metadata["Summary"] if ep.dist else ""
            self.add_command(LazyCommand(ep.name, ep.value, f"{summary} ({ep.dist.name})" if ep.dist else summary))
        self._loaded_plugin_commands = True

    def resolve_command(self, ctx, args):
        name, cmd, rest = super().resolve_command(ctx, args)
        if isinstance(cmd, LazyCommand):
            cmd = self.commands[name] = cmd.load()
        return name, cmd, rest

    def list_commands(self, ctx):
        self._load_plugin_commands()
        return sorted(self.commands)


def main() -> None:
    cli = MinapiGroup(name="minapi", create_app=_factory, add_version_option=False,
                      help="minapi: a self-hosted JSON API builder with an MCP server.",
                      epilog=PLUGIN_COMMANDS_HINT)
    for command in CORE_COMMANDS:
        cli.add_command(command)
    cli.main(prog_name="minapi")


def register(app: Flask) -> None:
    for command in CORE_COMMANDS:
        app.cli.add_command(command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Serving threads per worker process (1: gunicorn's sync workers, one request at a time).")
@click.option("--no-worker", is_flag=True, help="Do not start a background job worker.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request on stdout (a reverse proxy in front may log them already).")
@with_appcontext
def serve(host, port, workers, threads, no_worker, access_log):
    """Apply pending migrations, then serve with gunicorn."""
    from app.server import run_gunicorn, upgrade_database

    upgrade_database()
    run_gunicorn(current_app._get_current_object(), host=host, port=port, workers=workers, threads=threads,
                 with_worker=not no_worker, access_log=access_log)


@click.command()
@click.option("--burst", is_flag=True, help="Run the jobs that are due now, then exit.")
@with_appcontext
def worker(burst):
    """Run background jobs (webhooks, email, notifications, periodic tasks) until stopped.

    SIGTERM or Ctrl-C lets the current job finish, then stops. Run several on PostgreSQL to
    share the work; a job whose worker dies is taken again after MINAPI_JOB_VISIBILITY_TIMEOUT.
    """
    import logging

    from app.jobs.worker import Worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = Worker(current_app._get_current_object())
    if not burst:
        runner.install_signal_handlers()
    ran = runner.run(burst=burst)
    if burst:
        click.echo(f"ran {ran} jobs")


@click.group(cls=AppGroup)
def users():
    """Manage accounts."""


@users.command("create")
@click.argument("email")
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--plan", default=None, help="A configured plan (default: the instance default).")
@click.option("--admin", is_flag=True, help="Make the account an instance admin.")
@click.option("--name", "display_name", default="", help="Display name.")
def users_create(email, password, plan, admin, display_name):
    """Create an account."""
    from app.accounts import services

    account = _commit(lambda: services.create_account(email, password, display_name=display_name,
                                                      plan=plan, is_admin=admin))
    click.echo(f"created {account.id} {account.email} plan={account.plan}{' admin' if admin else ''}")


@users.command("set-plan")
@click.argument("email")
@click.argument("plan")
def users_set_plan(email, plan):
    """Move an account to another plan."""
    from app.accounts import services

    account = _commit(lambda: services.set_plan(email, plan))
    click.echo(f"{account.email} is now on plan {account.plan}")


def _commit(fn):
    """Run a service inside one transaction; turn its AppError into a CLI error."""
    from app.errors import AppError
    from app.extensions import db

    try:
        result = fn()
        db.session.commit()
        return result
    except AppError as err:
        db.session.rollback()
        raise click.ClickException(f"{err.code}: {err.message}") from None


@click.group(cls=AppGroup)
def plugins():
    """Inspect plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True)
def plugins_list(as_json):
    """List the enabled plugins."""
    from app.tools.plugins import plugin_rows

    rows = plugin_rows(current_app.extensions["minapi.plugins"])
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']:<16} {row['source']:<12} {row['module']}")


@plugins.command("commands")
def plugins_commands():
    """List the commands the enabled plugins add."""
    core = {c.name for c in CORE_COMMANDS} | {"db"}
    ctx = click.get_current_context()
    for name in sorted(set(current_app.cli.list_commands(ctx)) - core):
        cmd = current_app.cli.get_command(ctx, name)
        click.echo(f"{name:<16} {cmd.get_short_help_str(60)}")


@click.group(cls=AppGroup)
def tools():
    """Inspect the tool registry."""


@tools.command("list")
@click.option("--mcp", "mcp_only", is_flag=True, help="Only the tools exposed on MCP.")
@click.option("--json", "as_json", is_flag=True)
def tools_list(mcp_only, as_json):
    """List every action with its kind, route and MCP tool name."""
    registry = current_app.extensions["minapi.tools"]
    actions = registry.mcp_actions() if mcp_only else registry.actions()
    rows = [{"tool": a.tool_name, "kind": a.kind, "http": f"{a.method} {a.url_rule}",
             "mcp": a.exposed_on_mcp, "plugin": a.plugin} for a in actions]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{r['tool']:<36} {r['kind']:<12} {r['http']:<48} {'mcp' if r['mcp'] else '-'}")


@click.group(cls=AppGroup)
def keys():
    """Manage MCP keys."""


@keys.command("create-mcp")
@click.argument("email")
@click.option("--label", default="CLI", show_default=True, help="A name to recognise the key by.")
@click.option("--read-only", is_flag=True, help="Scope mcp:read only.")
def keys_create_mcp(email, label, read_only):
    """Create an MCP key for an account and print it (shown this once)."""
    from app.accounts import services
    from app.auth import mcp_keys
    from app.errors import AppError

    def make():
        account = services.find_by_email(email)
        if account is None:
            raise AppError(f"No account with email {email!r}.", code="account_not_found", status=404)
        return mcp_keys.create(account.id, label, read_only=read_only, created_by="cli")

    key, plaintext = _commit(make)
    click.echo(plaintext)
    click.echo(f"# {key.id} label={key.label!r} scopes={key.scopes!r}: shown once, keep it safe", err=True)


CORE_COMMANDS = (serve, worker, users, plugins, tools, keys)

if __name__ == "__main__":  # `python -m app.cli worker`: how `minapi serve` starts its worker
    main()
