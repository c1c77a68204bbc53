"""`/api/mcp` answers the same on both lanes: a plain POST (served by `McpEdge` ahead of Flask's
dispatch) and a browser's POST with an `Origin` or a query string (served by Flask's view, which
adds CORS). Each case is sent both ways over real HTTP and the answers compared."""

import json

import httpx
import pytest

from app.auth.resolve import add_resolver
from tests.conftest import mcp_key
from tests.hostile import tool_call
from tests.live import LiveServer, rpc
from tests.sample_plugins import NOTES

MODERN = "2026-07-28"
ORIGIN = "http://localhost:6274"  # a local tool (the Inspector): an allowed origin


def boom(secret):
    if secret == "tm_mcp_boom":
        raise RuntimeError("the credential store is down")
    return None


@pytest.fixture
def notes_app(make_app, fake_plugin):
    name, _ = fake_plugin(NOTES)
    app = make_app(PLUGINS=f"builtin,{name}")
    add_resolver(app, "api_key", boom)
    return app


@pytest.fixture
def live(notes_app):
    with LiveServer(notes_app) as server:
        yield server


def both_lanes(url: str, body, key: str | None, modern: bool = True, **headers):
    """(plain POST, POST with an Origin, POST with a query string): status, JSON body, headers."""
    if modern:  # the 2026-07-28 protocol repeats the method and tool name in headers
        headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": body["method"], **headers}
        if "name" in body.get("params", {}):
            headers["Mcp-Name"] = body["params"]["name"]
    answers = []
    for extra, path in (({}, "/api/mcp"), ({"Origin": ORIGIN}, "/api/mcp"), ({}, "/api/mcp?x=1")):
        resp = rpc(url, body, key, path=path, **headers, **extra)
        answers.append((resp.status_code, resp.json() if resp.content else None, resp.headers))
    return answers


def call(name: str, arguments: dict) -> dict:
    return tool_call(name, arguments, era=MODERN, rpc_id=7)


def same(answers, status: int):
    (plain, plain_body, plain_headers), *others = answers
    assert plain == status, plain_body
    for code, body, headers in others:
        assert (code, body) == (plain, plain_body)
        for name in ("WWW-Authenticate", "Content-Type"):
            assert headers.get(name) == plain_headers.get(name)
    return plain_body


def test_tool_calls_answer_the_same_on_both_lanes(live, notes_app):
    key = mcp_key(notes_app)
    added = same(both_lanes(live.url, call("notes_add", {"text": "one"}), key), 200)
    assert added["result"]["isError"] is False
    listed = same(both_lanes(live.url, call("notes_list", {}), key), 200)
    assert [n["text"] for n in listed["result"]["structuredContent"]["notes"]] == ["one"]
    assert listed["result"]["_meta"]["minapi/quota"]["limit"] > 0
    failed = same(both_lanes(live.url, call("endpoints_get", {"endpoint": "nope"}), key), 200)
    assert failed["result"]["isError"] is True
    assert json.loads(failed["result"]["content"][0]["text"])["error"]["code"] == "endpoint_not_found"


def test_the_handshake_era_answers_the_same_on_both_lanes(live, notes_app):
    key = mcp_key(notes_app)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "edge-test", "version": "1"}}}
    body = same(both_lanes(live.url, init, key, modern=False), 200)
    assert body["result"]["serverInfo"]["name"] == "minapi"
    tools = same(both_lanes(live.url, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, key, modern=False,
                            **{"MCP-Protocol-Version": "2025-11-25"}), 200)
    assert "help" in {t["name"] for t in tools["result"]["tools"]}


@pytest.mark.parametrize("key, status, rpc_code", [(None, 401, -32004), ("tm_mcp_wrong", 401, -32004)])
def test_refusals_answer_the_same_on_both_lanes(live, notes_app, key, status, rpc_code):
    body = same(both_lanes(live.url, call("help", {}), key), status)
    assert body["error"]["code"] == rpc_code


def test_scope_and_parse_refusals_answer_the_same_on_both_lanes(live, notes_app):
    read_only = mcp_key(notes_app, read_only=True)
    body = same(both_lanes(live.url, call("notes_add", {"text": "x"}), read_only), 403)
    assert body["error"]["data"]["code"] == "insufficient_scope"
    key = mcp_key(notes_app)
    answers = []
    for extra in ({}, {"Origin": ORIGIN}):
        resp = httpx.post(live.url + "/api/mcp", content=b'{"jsonrpc": "2.0", "id": 1, "method": ',
                          headers={"x-api-key": key, "content-type": "application/json",
                                   "accept": "application/json, text/event-stream", **extra})
        answers.append((resp.status_code, resp.json(), resp.headers))
    body = same(answers, 400)
    assert body["error"]["code"] == -32700 and body["error"]["data"]["code"] == "invalid_json"


def test_a_browser_request_gets_cors_headers(live, notes_app):
    key = mcp_key(notes_app)
    _, browser, _ = both_lanes(live.url, call("help", {}), key)
    assert browser[2]["Access-Control-Allow-Origin"] in ("*", ORIGIN)
    assert "WWW-Authenticate" in browser[2]["Access-Control-Expose-Headers"]


def test_a_failure_outside_the_tool_is_a_json_500_on_both_lanes(live, notes_app):
    body = same(both_lanes(live.url, call("help", {}), "tm_mcp_boom"), 500)
    assert body["error"]["code"] == "internal_error"
    assert "credential store" not in json.dumps(body)  # the details stay in our log
    assert rpc(live.url, call("help", {}), mcp_key(notes_app)).status_code == 200  # and the server goes on
