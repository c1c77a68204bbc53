"""What a model reads on every conversation: the built-in `tools/list` stays under SPEC §3's cap.

Measured as the SDK client receives it over HTTP (the result's JSON as sent: compact, UTF-8).
On failure the biggest tools are printed, so whoever grew the list sees where.
"""

import json
import re

from tests.conftest import mcp_key
from tests.live import LiveServer, mcp_call

CAP = 32_000


def size(value) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def listed(app) -> list[dict]:
    async def go(client):
        return (await client.list_tools()).model_dump(by_alias=True, exclude_none=True, mode="json")["tools"]

    with LiveServer(app) as server:
        return mcp_call(server.url, mcp_key(app), go)


def biggest(tools: list[dict], n: int = 8) -> str:
    rows = sorted(tools, key=size, reverse=True)[:n]
    return "\n".join(f"{size(t):6} {t['name']} (input {size(t['inputSchema'])}, output {size(t['outputSchema'])}, "
                     f"description {len(t['description'])})" for t in rows)


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_builtin_tool_list_fits_the_cap(app):
    tools = listed(app)
    total = size({"tools": tools})
    print(f"tools/list: {total} characters for {len(tools)} tools\n{biggest(tools)}")
    assert total < CAP, f"tools/list is {total} characters (cap {CAP}); biggest tools:\n{biggest(tools)}"


def test_compact_schemas_keep_their_meaning(app):
    tools = listed(app)
    names = {t["name"] for t in tools}
    for tool in tools:
        for key in ("inputSchema", "outputSchema"):
            schema = tool[key]
            assert schema["type"] == "object", (tool["name"], key)
            for ref in refs(schema):  # shared shapes resolve inside the tool's own schema
                name = ref.removeprefix("#/$defs/")
                assert ref.startswith("#/$defs/") and name in schema.get("$defs", {}), (tool["name"], ref)
        out = tool["outputSchema"]
        same = re.match(r"The same result as (\w+)", out.get("description", ""))
        if same:  # a shape shared across tools names a listed tool that spells it out
            assert same.group(1) in names and same.group(1) != tool["name"]
        else:
            assert out.get("properties"), tool["name"]
        assert 80 <= len(tool["description"]) <= 1000, tool["name"]
        assert tool.get("title"), tool["name"]
    by_name = {t["name"]: t for t in tools}
    # Nested shapes are outlined with their fields' names, not dropped.
    get = by_name["endpoints_get"]["outputSchema"]
    assert "auth_value_set" in json.dumps(get) and "searchable" in json.dumps(get)
    assert "error_details" in json.dumps(by_name["logs_lookup"]["outputSchema"])
    # Input schemas stand alone, with what a model must send right.
    fields = by_name["endpoints_create"]["inputSchema"]["properties"]["fields"]["items"]
    assert fields["required"] == ["name", "type"] and "pattern" in fields["properties"]["name"]
