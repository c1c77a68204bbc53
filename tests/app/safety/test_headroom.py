"""Quota headroom (SPEC §10): every MCP tool result carries `_meta["minapi/quota"]`, errors too."""

from __future__ import annotations

from datetime import datetime

from tests.app.safety.conftest import new_key
from tests.live import LiveServer, mcp_call, rpc, rpc_payload


def test_every_result_carries_the_quota(app, ada):
    key = new_key(ada)["key"]
    for i in range(3):
        assert ada.orders.call("POST", json={"item": f"r{i}"}).status_code == 201

    async def go(client):
        return [await client.call_tool("help", {}),
                await client.call_tool("api_call_get", {"endpoint": "Orders"}),  # a read, counted
                await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {"item": "x"}}),
                await client.call_tool("api_call_post", {"endpoint": "Orders", "data": {}}),  # item is required
                await client.call_tool("endpoints_get", {"endpoint": "nope"}),
                await client.call_tool("no_such_tool", {})]

    with LiveServer(app) as server:
        results = mcp_call(server.url, key, go)
        legacy = rpc_payload(rpc(server.url, {"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                                              "params": {"name": "subscription_get", "arguments": {}}},
                                 key, **{"MCP-Protocol-Version": "2025-11-25"}))
    quotas = [r.meta["minapi/quota"] for r in results]
    assert [r.is_error for r in results] == [False, False, False, True, True, True]
    # free plan: 1,000 calls; 3 calls before, then the api_call_get and the api_call_post, then the
    # post's failed twin (counted too)
    assert [q["used"] for q in quotas] == [3, 4, 5, 6, 6, 6]
    assert all(q["limit"] == 1000 and q["remaining"] == 1000 - q["used"] for q in quotas)
    ends = datetime.fromisoformat(quotas[0]["cycle_ends"])
    sub = ada.api("GET", "/api/v1/subscription").json
    assert ends == datetime.fromisoformat(sub["cycle_end"].replace("Z", "+00:00"))
    assert legacy["result"]["_meta"]["minapi/quota"]["used"] == sub["calls_used"] == 6
