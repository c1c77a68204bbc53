"""The to-do plugin through minapi's public edges: REST, MCP (the SDK client), the worker."""

from __future__ import annotations

import os

import pytest


def test_add_list_and_complete_over_rest(minapi_rest):
    created = minapi_rest.post("/todo", json={"text": "water the plants"})
    assert created.status_code == 201, created.json
    item = created.json
    assert item == {"id": item["id"], "text": "water the plants", "done": False}
    assert minapi_rest.post(f"/todo/{item['id']}/done").json["done"] is True
    page = minapi_rest.get("/todo", query_string={"done": "true"}).json
    assert [i["text"] for i in page["items"]] == ["water the plants"] and page["has_more"] is False


@pytest.mark.parametrize("body, field", [({}, "text"), ({"text": ""}, "text"), ({"text": "x" * 201}, "text")])
def test_bad_input_is_a_clear_error(minapi_rest, body, field):
    resp = minapi_rest.post("/todo", json=body)
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "validation_failed" and field in resp.json["error"]["details"]


def test_an_unknown_item_is_not_found(minapi_rest):
    resp = minapi_rest.post("/todo/999/done")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "todo_not_found"


def test_pages_follow_the_cursor(minapi_rest):
    for n in range(3):
        minapi_rest.post("/todo", json={"text": f"item {n}"})
    first = minapi_rest.get("/todo", query_string={"limit": 2}).json
    assert [i["text"] for i in first["items"]] == ["item 0", "item 1"] and first["has_more"]
    rest = minapi_rest.get("/todo", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [i["text"] for i in rest["items"]] == ["item 2"] and not rest["has_more"]


def test_the_destructive_action_is_for_a_person_only(minapi_rest):
    item = minapi_rest.post("/todo", json={"text": "done soon"}).json
    minapi_rest.post(f"/todo/{item['id']}/done")
    refused = minapi_rest.delete("/todo/done")  # with the MCP key, as an AI client
    assert refused.status_code == 403 and refused.json["error"]["code"] == "session_required"
    person = minapi_rest.as_person()
    assert person.delete("/todo/done").json == {"deleted": 1}
    assert minapi_rest.get("/todo").json["items"] == []


def test_mcp_lists_the_read_and_writes_but_never_the_destructive_action(minapi_mcp):
    names = minapi_mcp.tool_names()
    assert {"todo_list", "todo_add", "todo_complete"} <= names
    assert "todo_clear_done" not in names
    tools = {t.name: t for t in minapi_mcp.list_tools()}
    assert tools["todo_list"].annotations.read_only_hint is True
    assert tools["todo_add"].annotations.read_only_hint is False


def test_an_assistant_adds_and_reads_items_over_mcp(minapi_mcp):
    added = minapi_mcp.call("todo_add", text="call the plumber")
    assert not added.is_error and added.structured_content["text"] == "call the plumber"
    listed = minapi_mcp.call("todo_list")
    assert [i["text"] for i in listed.structured_content["items"]] == ["call the plumber"]
    refused = minapi_mcp.call("todo_clear_done")
    assert refused.is_error


def test_adding_an_item_mails_the_owner_through_the_job(minapi_app, minapi_rest, minapi_account):
    minapi_rest.post("/todo", json={"text": "renew the passport"})
    outbox = os.path.join(minapi_app.instance_path, "outbox")
    assert not os.path.isdir(outbox) or not os.listdir(outbox)
    result = minapi_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    [mail] = [open(os.path.join(outbox, f)).read() for f in os.listdir(outbox)]
    assert "New to-do: renew the passport" in mail and minapi_account.email in mail


@pytest.fixture
def pg_config():
    url = os.environ.get("MINAPI_TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("set MINAPI_TEST_DATABASE_URL to a test database to run on PostgreSQL too")
    return {"DATABASE_URL": url}


class TestOnPostgres:
    """The same plugin on PostgreSQL, when a test database is given."""

    @pytest.fixture
    def minapi_config(self, pg_config):
        return pg_config

    def test_add_and_list(self, minapi_rest):
        assert minapi_rest.post("/todo", json={"text": "on postgres"}).status_code == 201
        assert [i["text"] for i in minapi_rest.get("/todo").json["items"]] == ["on postgres"]
