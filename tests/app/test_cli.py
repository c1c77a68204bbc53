"""The `minapi` command line, run as a user would run it."""

import json
import os
import subprocess
import sys

import pytest


def minapi(app, *args):
    """Invoke the CLI in-process against this test's app (its instance and database)."""
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_users_create_then_login(app, client):
    result = minapi(app, "users", "create", "Admin@Example.com", "--password", "s3cret pass", "--admin",
                    "--plan", "pro")
    assert result.exit_code == 0, result.output
    assert "admin@example.com plan=pro admin" in result.output
    from tests.conftest import csrf_from

    token = csrf_from(client)
    resp = client.post("/login", data={"email": "admin@example.com", "password": "s3cret pass",
                                       "csrf_token": token})
    assert resp.status_code == 302


@pytest.mark.parametrize("args,message", [
    (["users", "create", "a@example.com", "--password", "short"], "validation_failed"),
    (["users", "create", "a@example.com", "--password", "long enough", "--plan", "gold"], "unknown_plan"),
    (["users", "set-plan", "nobody@example.com", "pro"], "account_not_found"),
])
def test_users_commands_report_errors(app, args, message):
    result = minapi(app, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_duplicate_user_and_set_plan(app):
    assert minapi(app, "users", "create", "b@example.com", "--password", "long enough").exit_code == 0
    dup = minapi(app, "users", "create", "B@example.com", "--password", "long enough")
    assert dup.exit_code != 0 and "email_taken" in dup.output
    moved = minapi(app, "users", "set-plan", "b@example.com", "enterprise")
    assert moved.exit_code == 0 and "enterprise" in moved.output


def test_plugins_and_tools_list(app):
    plugins = json.loads(minapi(app, "plugins", "list", "--json").output)
    assert {"name": "help", "source": "builtin", "module": "plugins.help"} in plugins
    tools = json.loads(minapi(app, "tools", "list", "--json").output)
    mcp_tools = json.loads(minapi(app, "tools", "list", "--mcp", "--json").output)
    assert {t["tool"] for t in mcp_tools} <= {t["tool"] for t in tools}
    assert all(t["kind"] != "destructive" for t in mcp_tools)
    assert "help" in {t["tool"] for t in mcp_tools}


def test_console_script_is_installed_and_lists_tools(tmp_path):
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(tmp_path))
    exe = os.path.join(os.path.dirname(sys.executable), "minapi")
    proc = subprocess.run([exe, "tools", "list", "--mcp"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "GET /api/v1/help" in proc.stdout


HEAVY = ("mcp", "mcp_types", "a2wsgi", "sqlalchemy", "alembic", "marshmallow", "httpx")
PROBE = """
import json, sys
from app.cli import main
sys.argv = ["minapi", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def run_cli_probe(tmp_path, *args):
    """Run the real command line in a fresh interpreter; report its exit code and the heavy
    modules it imported (the last line of its output)."""
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    *output, last = proc.stdout.strip().splitlines()
    return json.loads(last), "\n".join(output)


def test_help_imports_neither_the_app_nor_the_mcp_sdk(tmp_path):
    probe, output = run_cli_probe(tmp_path, "--help")
    assert probe["code"] in (0, None)
    assert probe["loaded"] == []  # no SDK, no database layer, no schemas: --help builds no app
    for command in ("serve", "worker", "users", "keys", "tools", "plugins", "db"):
        assert f"  {command} " in output
    assert "minapi plugins commands" in output


@pytest.mark.parametrize("args", [["tools", "list"], ["plugins", "list"], ["users", "--help"],
                                  ["keys", "--help"], ["db", "--help"]])
def test_commands_that_do_not_serve_never_import_the_mcp_sdk(tmp_path, args):
    probe, output = run_cli_probe(tmp_path, *args)
    assert probe["code"] in (0, None), output
    assert not {"mcp", "mcp_types", "a2wsgi"} & set(probe["loaded"]), probe
    if args[0] != "db":  # Alembic only for migrations; httpx only where something is sent
        assert not {"alembic", "httpx"} & set(probe["loaded"]), probe
    assert output  # the command did its work


def test_plugin_commands_are_listed_and_found_by_name(tmp_path):
    probe, output = run_cli_probe(tmp_path, "plugins", "commands")
    assert probe["code"] in (0, None)
    assert "archive" in output.split()  # the archives plugin's command
    assert "serve" not in output.split()  # core commands are in --help already
    probe, output = run_cli_probe(tmp_path, "archive", "--help")
    assert probe["code"] in (0, None) and "Usage: minapi archive" in output
