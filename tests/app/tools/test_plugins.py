"""Third-party plugins: discovered through entry points, enabled only by MINAPI_PLUGINS."""

import sys

import pytest

from app import PluginError, create_app
from tests.conftest import base_config
from tests.sample_plugins import NOTES


def test_enabled_third_party_plugin_serves_its_actions(make_app, fake_plugin):
    name, module = fake_plugin(NOTES)
    app = make_app(PLUGINS=f"builtin,{name}")
    registry = app.extensions["minapi.tools"]
    assert registry.get_tool("notes_add").plugin == name
    assert module in sys.modules
    assert app.test_client().get("/api/v1/help").status_code == 200  # built-ins still there


def test_installed_but_not_enabled_plugin_is_never_imported(make_app, fake_plugin):
    name, module = fake_plugin(NOTES)
    app = make_app()
    assert module not in sys.modules
    assert app.extensions["minapi.tools"].get_tool("notes_add") is None
    assert app.test_client().post("/api/v1/notes", json={"text": "x"}).status_code == 404


def test_plugins_setting_limits_builtins_too(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    app = make_app(PLUGINS=name)
    plugins = {a.plugin for a in app.extensions["minapi.tools"].actions()}
    assert plugins == {name, "core.mcp_keys", "core.activity", "core.ai", "core.account"}  # core families are always on
    assert app.test_client().get("/api/v1/help").status_code == 404


def test_unknown_plugin_stops_startup(tmp_path):
    with pytest.raises(PluginError, match="unknown plugin 'nosuchplugin'"):
        create_app(base_config(tmp_path, PLUGINS="builtin,nosuchplugin"))


def test_plugin_that_fails_to_import_stops_startup(tmp_path, fake_plugin):
    name, _ = fake_plugin("raise ImportError('needs libfoo')")
    with pytest.raises(PluginError, match=f"plugin '{name}' failed to load: ImportError: needs libfoo"):
        create_app(base_config(tmp_path, PLUGINS=name))


def test_plugin_with_unknown_hook_stops_startup(tmp_path, fake_plugin):
    name, _ = fake_plugin("""
        from app.tools import hookimpl

        @hookimpl
        def register_widgets(widgets):
            pass
    """)
    with pytest.raises(PluginError, match="register_widgets"):
        create_app(base_config(tmp_path, PLUGINS=name))


def test_cli_reports_a_startup_error_without_traceback(tmp_path):
    import subprocess

    env = dict(__import__("os").environ, MINAPI_INSTANCE_PATH=str(tmp_path), MINAPI_PLUGINS="nosuch")
    proc = subprocess.run([sys.executable, "-c", "from app.cli import main; main()", "plugins", "list"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "unknown plugin 'nosuch'" in proc.stderr
    assert "Traceback" not in proc.stderr
