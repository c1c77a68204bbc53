"""Helpers for hostile-input tests: raw JSON-RPC to /api/mcp through the test client, hostile
payloads, and the check that an answer is a success or the SPEC's error shape."""

from __future__ import annotations

import json
import os

ERAS = ("2026-07-28", "2025-11-25")
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
BIG_CURSOR = "cjk5OTk5OTk5OTk5OTk5OTk5OTk"  # "r" and 20 nines: past 64 bits


def fuzz_examples(default: int) -> int:
    """How many examples a fuzz test runs: `default` in CI, more with MINAPI_FUZZ_EXAMPLES=N."""
    return int(os.environ.get("MINAPI_FUZZ_EXAMPLES") or default)


def assert_error_shape(resp, *, status: int | None = None, code: str | None = None) -> dict:
    """The response is JSON in the SPEC's error shape (never HTML, a stack trace or SQL)."""
    assert resp.mimetype == "application/json", (resp.status_code, resp.get_data()[:300])
    err = resp.get_json()["error"]
    assert isinstance(err["code"], str) and isinstance(err["message"], str)
    assert set(err) <= {"code", "message", "details"}
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and "SELECT" not in text.upper().split("MESSAGE")[0]
    if status is not None:
        assert resp.status_code == status, (resp.status_code, err)
    if code is not None:
        assert err["code"] == code, err
    return err


def meta(era: str) -> dict:
    if era != "2026-07-28":
        return {}
    return {"_meta": {"io.modelcontextprotocol/protocolVersion": era,
                      "io.modelcontextprotocol/clientInfo": {"name": "fuzz", "version": "1"},
                      "io.modelcontextprotocol/clientCapabilities": {}}}


def tool_call(name, arguments, *, era: str = ERAS[0], rpc_id=1) -> dict:
    return {"jsonrpc": "2.0", "id": rpc_id, "method": "tools/call",
            "params": {"name": name, "arguments": arguments, **meta(era)}}


def mcp_post(client, key: str | None, body, *, era: str = ERAS[0], headers: dict | None = None):
    """POST a JSON-RPC body (a dict, or raw str/bytes) to /api/mcp as a client of `era` would."""
    hdrs = {"accept": "application/json, text/event-stream", "content-type": "application/json",
            "mcp-protocol-version": era}
    if isinstance(body, dict):
        hdrs["mcp-method"] = str(body.get("method"))
        if isinstance(body.get("params"), dict) and isinstance(body["params"].get("name"), str):
            hdrs["mcp-name"] = body["params"]["name"]
        body = json.dumps(body)
    if key:
        hdrs["x-api-key"] = key
    hdrs.update(headers or {})
    return client.post("/api/mcp", data=body, headers=hdrs)


def rpc_message(resp) -> dict | None:
    """The JSON-RPC message in a JSON or SSE answer (None for an empty 202)."""
    text = resp.get_data(as_text=True)
    if resp.mimetype == "text/event-stream":
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        return json.loads(data[-1]) if data else None
    return json.loads(text) if text.strip() else None


def tool_result(client, key, name, arguments, *, era: str = ERAS[0]) -> dict:
    """Call one tool; returns the tool result (asserting the call itself was answered)."""
    resp = mcp_post(client, key, tool_call(name, arguments, era=era), era=era)
    assert resp.status_code == 200, (resp.status_code, resp.get_data()[:300])
    return rpc_message(resp)["result"]


def tool_error_of(result: dict) -> dict:
    """The `error` of an `isError` tool result: text content only (SPEC §3), no structuredContent."""
    assert "structuredContent" not in result, result
    return json.loads(result["content"][0]["text"])["error"]


def assert_tool_error(result: dict, code: str) -> None:
    assert result["isError"] is True, result
    assert tool_error_of(result)["code"] == code, result
