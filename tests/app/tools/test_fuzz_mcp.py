"""A JSON-RPC fuzz of /api/mcp in both protocol eras: malformed messages, wrong types, unknown
methods and tools, oversized and deeply nested arguments, odd headers, raw bytes. The answer is
never a 5xx, and a tool never answers `internal_error`. Seeded and bounded for CI;
MINAPI_FUZZ_EXAMPLES=N runs it longer."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.hostile import BIG_CURSOR, DEEP_ARRAY, DEEP_OBJECT, ERAS, fuzz_examples, meta, mcp_post, rpc_message, tool_error_of

pytestmark = pytest.mark.fuzz

EXAMPLES = fuzz_examples(120)
HOSTILE_TEXT = ["\x00", "\ud800", "a\x00b", "rec_" + "0" * 40, BIG_CURSOR, "0001-01-01", "9999-12-31T23:59:59-14:00",
                "2026-12-03", "2026-13", "sandbox", "production", "owner", "-1", "x" * 5000, "🙂", ""]
RAW_BODIES = [DEEP_ARRAY, DEEP_OBJECT, "", "{", "[]", "[{}]", "null", "1", '"x"', "\xff", "[" * 40 + "]" * 40,
              '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"help","arguments":{"topic":NaN}}}',
              '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"help","arguments":{"topic":"\\ud800"}}}',
              b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"\xed\xa0\x80"}}']

texts = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=30)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(texts, c, max_size=4),
                           max_leaves=25)


def nested(depth: int):
    value = {"x": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


def arguments_for(tools: dict):
    """Arguments a tool might get: its own argument names with values of any type, or anything at all."""
    def for_tool(name):
        names = list(tools.get(name, {}).get("properties", {})) or ["x"]
        return st.dictionaries(st.sampled_from(names) | texts, json_values | st.sampled_from(
            [nested(31), nested(34), "z" * 100_000]), max_size=5)
    return for_tool


@pytest.fixture
def mcp(app, client):
    """An owner with an endpoint and a record, their MCP key, and every tool's input schema."""
    owner = make_owner(client)
    ep = owner.create_endpoint()
    ep.call("POST", json={"item": "seed"})
    key = mcp_key(app, "owner@example.com")
    listed = rpc_message(mcp_post(client, key, {"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                                                "params": meta(ERAS[0])}))
    tools = {t["name"]: t["inputSchema"] for t in listed["result"]["tools"]}
    return key, tools, ep


def check(resp) -> None:
    assert resp.status_code < 500, resp.get_data()[:300]
    if resp.status_code == 200:
        message = rpc_message(resp)
        result = (message or {}).get("result") or {}
        if result.get("isError"):
            error = tool_error_of(result)
            assert error["code"] != "internal_error", result
            assert isinstance(error["message"], str)
    elif resp.status_code >= 400 and resp.get_data():
        assert resp.mimetype == "application/json", resp.get_data()[:300]
        assert b"Traceback" not in resp.get_data()


@pytest.mark.parametrize("era", ERAS)
def test_mcp_never_answers_a_server_error_or_internal_error(client, mcp, era):
    key, tools, ep = mcp
    tool_args = arguments_for(tools)
    names = st.sampled_from(sorted(tools)) | texts
    params = st.one_of(
        names.flatmap(lambda name: tool_args(name).map(lambda args: {"name": name, "arguments": args})),
        st.fixed_dictionaries({"name": names, "arguments": json_values}),
        json_values)
    messages = st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "2.0", "1.0", None]),
         "id": st.integers() | st.text(max_size=10) | st.none() | st.floats(allow_nan=False) | json_values,
         "method": st.sampled_from(["tools/call", "tools/call", "tools/call", "tools/list", "initialize",
                                    "server/discover", "ping", "notifications/initialized", "resources/list"]) | texts,
         "params": params})
    bodies = st.one_of(
        messages.map(lambda m: {**m, "params": {**m["params"], **meta(era)}} if isinstance(m["params"], dict) else m),
        st.lists(messages, min_size=1, max_size=3),
        st.sampled_from(RAW_BODIES),
        st.binary(max_size=100))
    headers = st.fixed_dictionaries({}, optional={
        "accept": st.sampled_from(["application/json", "text/event-stream", "*/*", "text/html", ""]),
        "content-type": st.sampled_from(["text/plain", "application/json; charset=utf-16", ""]),
        "mcp-protocol-version": st.sampled_from(["2025-06-18", "2025-11-25", "2026-07-28", "1999-01-01", "x"]),
        "mcp-method": st.sampled_from(["tools/call", "tools/list", "nope"]),
        "mcp-name": st.sampled_from(["help", "nope", "api_call_get"]),
        "mcp-session-id": st.sampled_from(["abc", "0" * 200])})

    @given(body=bodies, extra=headers, anonymous=st.sampled_from([False] * 5 + [True]))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(body, extra, anonymous):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        check(mcp_post(client, None if anonymous else key, raw, era=era, headers=extra))

    call()


@pytest.mark.parametrize("era", ERAS)
def test_every_tool_with_arguments_of_the_wrong_type(client, mcp, era):
    """Each tool, each argument given a value of every JSON type (and hostile strings): never internal_error."""
    key, tools, ep = mcp
    values = [None, True, -1, 2**70, 1.5, "", "x" * 3000, "\x00", [], [1, "a"], {}, {"a": {"b": []}},
              nested(40), BIG_CURSOR, "0001-01-01", "rec_" + "0" * 40, ep.slug]
    for name, schema in tools.items():
        names = list(schema.get("properties", {}))
        for i, value in enumerate(values):
            # every argument gets this value, or, in turn, one argument alone gets it
            if i % 2 or not names:
                arguments = {arg: value for arg in names + ["unexpected"]}
            else:
                arguments = {names[i // 2 % len(names)]: value}
            body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                    "params": {"name": name, "arguments": arguments, **meta(era)}}
            check(mcp_post(client, key, body, era=era))
