"""Contract over the whole registry (third-party plugins included): what reaches MCP and AI credentials.

Every action that only a person may run (destructive, or person_only) is absent from MCP and is
refused to an MCP key on REST; every other action is an MCP tool.
"""

import re

import httpx
import pytest

from tests.conftest import mcp_key
from tests.live import LiveServer, mcp_call
from tests.sample_plugins import NOTES


@pytest.fixture
def everything(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    app = make_app(PLUGINS=f"builtin,{name}")
    with LiveServer(app) as server:
        yield app, server


def test_mcp_tools_are_exactly_the_non_destructive_actions(everything):
    app, server = everything
    registry = app.extensions["minapi.tools"]
    key = mcp_key(app)

    async def go(client):
        return {t.name: t for t in (await client.list_tools()).tools}

    tools = mcp_call(server.url, key, go)
    expected = {a.tool_name for a in registry.actions() if not a.needs_person}
    assert set(tools) == expected
    for action in registry.actions():
        if action.tool_name not in tools:
            continue
        ann = tools[action.tool_name].annotations
        assert ann.read_only_hint is (action.kind == "read")
        if action.kind == "read":  # the other hints mean nothing for a read-only tool
            assert ann.destructive_hint is None and ann.idempotent_hint is None
        else:
            assert ann.destructive_hint is action.modifies_existing and not ann.idempotent_hint
        assert ann.open_world_hint is action.open_world  # a registry option, never set by hand


OPEN_WORLD = {"collaborators_invite", "logs_resend_webhook", "api_call_post", "api_call_put", "api_call_delete"}


def test_open_world_tools_are_the_ones_that_reach_outside(app):
    """SPEC §3: effects that reach people or systems outside minapi (email, webhooks)."""
    registry = app.extensions["minapi.tools"]
    assert {a.tool_name for a in registry.mcp_actions() if a.open_world} == OPEN_WORLD


def test_person_only_actions_refuse_every_mcp_key_on_rest(everything):
    app, server = everything
    registry = app.extensions["minapi.tools"]
    key = mcp_key(app)
    person_only = [a for a in registry.actions() if a.needs_person]
    assert any(a.kind == "destructive" for a in person_only)
    for action in person_only:
        path = re.sub(r"<[^>]+>", "x", action.url_rule)
        for headers in ({"x-api-key": key}, {"Authorization": f"Bearer {key}"}):
            kwargs = {"json": {}} if action.method not in ("GET", "DELETE") else {}
            resp = httpx.request(action.method, server.url + path, headers=headers, **kwargs)
            assert resp.status_code == 403, (action.tool_name, resp.text)
            assert resp.json()["error"]["code"] == "session_required"
