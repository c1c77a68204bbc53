"""Run `mcp-remote` (a stdio MCP server that proxies to a remote one over OAuth) under the MCP
SDK's stdio client: initialize, tools/list, tools/call help.

usage: mcp_remote_check.py MCP_URL -- COMMAND... (the mcp-remote command line)
The environment (PATH with the fake browser, HOME for mcp-remote's token store) is inherited.
"""

import asyncio
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def check(command: list[str]) -> None:
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with Client(params, mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        print("tools:", sorted(tools))
        assert "help" in tools, tools
        result = await client.call_tool("help", {})
        assert not result.is_error, result
        print("help: ok")


if __name__ == "__main__":
    cmd = sys.argv[sys.argv.index("--") + 1:]
    asyncio.run(asyncio.wait_for(check(cmd), timeout=120))
