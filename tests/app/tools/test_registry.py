"""The registry's rules: a plugin that breaks one stops start-up with a message naming it."""

import pytest

from app import PluginError, create_app
from tests.conftest import base_config
from tests.sample_plugins import registering

FAM = 'fam = tools.family("demo", summary="Demo.")\n'

REFUSED = {
    "missing kind": (FAM + 'fam.action(good, http="GET /demo", args=S, returns=S)', "kind is required"),
    "unknown kind": (FAM + 'fam.action(good, kind="admin", http="GET /demo", args=S, returns=S)',
                     "kind is required"),
    "no docstring": (FAM + 'fam.action(nodoc, kind="read", http="GET /demo", args=S, returns=S)',
                     "needs a docstring"),
    "description too long": (FAM + 'fam.action(longdoc, kind="read", http="GET /demo", args=S, returns=S)',
                             "at most 1000"),
    "bad action name": (FAM + 'fam.action(good, name="Bad-Name", kind="read", http="GET /demo", args=S, '
                              'returns=S)', "lower_snake_case"),
    "bad family name": ('tools.family("Demo Family", summary="x")', "lower_snake_case"),
    "family without summary": ('tools.family("demo", summary="")', "needs a summary"),
    "duplicate tool": (FAM + 'fam.action(good, kind="read", http="GET /demo", args=S, returns=S)\n'
                             'fam.action(good, kind="read", http="GET /demo2", args=S, returns=S)',
                       "already registered"),
    "duplicate route": (FAM + 'fam.action(good, kind="read", http="GET /demo", args=S, returns=S)\n'
                              'fam.action(good, name="other", kind="read", http="GET /demo", args=S, '
                              'returns=S)', "already taken"),
    "route outside /api/v1": (FAM + 'fam.action(good, kind="read", http="GET /api/mcp", args=S, returns=S)',
                              "outside /api/v1/"),
    "route escaping with ..": (FAM + 'fam.action(good, kind="read", http="GET /../admin", args=S, '
                                     'returns=S)', "not a clean path"),
    "absolute URL route": (FAM + 'fam.action(good, kind="read", http="GET http://evil/x", args=S, '
                                 'returns=S)', "not a clean path"),
    "no method": (FAM + 'fam.action(good, kind="read", http="/demo", args=S, returns=S)', "METHOD /path"),
    "unknown method": (FAM + 'fam.action(good, kind="read", http="TRACE /demo", args=S, returns=S)',
                       "not one of"),
    "DELETE that is not destructive": (FAM + 'fam.action(good, kind="write", http="DELETE /demo", args=S, '
                                             'returns=S)', "DELETE route must be destructive"),
    "GET that writes": (FAM + 'fam.action(good, kind="write", http="GET /demo", args=S, returns=S)',
                        "GET route must be a read action"),
    "args not a schema": (FAM + 'fam.action(good, kind="read", http="GET /demo", args=dict, returns=S)',
                          "args must be a marshmallow Schema"),
    "returns missing": (FAM + 'fam.action(good, kind="read", http="GET /demo", args=S)',
                        "returns must be a marshmallow Schema"),
    "path arg not in schema": (FAM + 'fam.action(good, kind="read", http="GET /demo/<y>", args=S, '
                                     'returns=S)', "not in the args schema"),
    "public write": (FAM + 'fam.action(good, kind="write", http="POST /demo", args=S, returns=S, '
                           'public=True)', "only read actions can be public"),
    "family of a built-in": ('tools.family("help", summary="mine now")', "already belongs to plugin 'help'"),
}


@pytest.mark.parametrize("body,message", REFUSED.values(), ids=REFUSED.keys())
def test_registration_rule_stops_startup(tmp_path, fake_plugin, body, message):
    name, _ = fake_plugin(registering(body))
    with pytest.raises(PluginError) as info:
        create_app(base_config(tmp_path, PLUGINS=f"builtin,{name}"))
    assert f"plugin '{name}'" in str(info.value)
    assert message in str(info.value)


def test_delete_route_allowed_with_a_reason(tmp_path, fake_plugin):
    name, _ = fake_plugin(registering(
        FAM + 'fam.action(good, kind="write", http="DELETE /demo", args=S, returns=S, '
              'delete_reason="calls the user\'s own API", modifies_existing=True)'))
    app = create_app(base_config(tmp_path, PLUGINS=name))
    action = app.extensions["minapi.tools"].get_tool("demo_good")
    assert action.exposed_on_mcp
    assert action.annotations["destructiveHint"] is True
    assert action.annotations["readOnlyHint"] is False


def test_kind_decides_mcp_exposure_and_annotations(tmp_path, fake_plugin):
    name, _ = fake_plugin(registering(
        FAM + 'fam.action(good, name="r", kind="read", http="GET /r", args=S, returns=S)\n'
              'fam.action(good, name="w", kind="write", http="POST /w", args=S, returns=S)\n'
              'fam.action(good, name="d", kind="destructive", http="DELETE /d", args=S, returns=S)\n'
              'fam.action(good, name="hidden", kind="write", http="POST /h", args=S, returns=S, mcp=False)'))
    app = create_app(base_config(tmp_path, PLUGINS=name))
    registry = app.extensions["minapi.tools"]
    # core's own always-on tools (activity_search) aside, only the read and the write reach MCP
    assert [a.tool_name for a in registry.mcp_actions() if a.plugin == name] == ["demo_r", "demo_w"]
    r, w = registry.get_tool("demo_r"), registry.get_tool("demo_w")
    assert (r.annotations["readOnlyHint"], r.annotations["destructiveHint"], r.scope) == (True, False, "mcp:read")
    assert (w.annotations["readOnlyHint"], w.annotations["destructiveHint"], w.scope) == (False, False, "mcp:write")
