"""minapi's pytest plugin (`app.testing`, entry point `minapi` in `pytest11`), used as a plugin
author uses it: the fixtures come from the installed entry point, not from our conftest."""

from __future__ import annotations

import importlib.metadata

import pytest


def test_the_plugin_is_registered_under_pytest11(pytestconfig):
    [entry] = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "minapi"]
    assert entry.value == "app.testing"
    assert pytestconfig.pluginmanager.has_plugin("minapi")


@pytest.fixture
def minapi_plugins():
    return ["help", "endpoints"]


def test_the_app_has_only_the_chosen_plugins(minapi_app):
    runner = minapi_app.test_cli_runner()
    names = {line.split()[0] for line in runner.invoke(args=["plugins", "list"]).output.splitlines() if line}
    assert {"help", "endpoints"} <= names and not names & {"logs", "archives", "stats"}


def test_rest_client_uses_the_accounts_mcp_key_and_a_person_can_delete(minapi_rest, minapi_account):
    created = minapi_rest.post("/endpoints", json={"name": "Kit"})
    assert created.status_code == 201, created.json
    slug = created.json["slug"]
    assert minapi_rest.get(f"/endpoints/{slug}").json["slug"] == slug
    refused = minapi_rest.delete(f"/endpoints/{slug}")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "session_required"
    assert minapi_rest.as_person().delete(f"/endpoints/{slug}").status_code == 200
    assert minapi_rest.get(f"/endpoints/{slug}").status_code == 404


@pytest.mark.slow
def test_mcp_client_talks_to_a_live_server(minapi_mcp):
    names = minapi_mcp.tool_names()
    assert "help" in names and "endpoints_create" in names and "endpoints_delete" not in names
    result = minapi_mcp.call("help", topic="mcp")
    assert not result.is_error and result.structured_content["topic"] == "mcp"
