"""The MCP benchmark's baseline: the `mcp` SDK's own server with one tool, `help`, returning what
minapi's `help` tool returns (the same function's result), served stateless under uvicorn.

    uvicorn --workers 2 bench.mcp_sdk_app:app   (from the repository root)
"""

from typing import Any

from flask import Flask
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from plugins.help.actions import help as minapi_help

server = MCPServer("sdk-baseline")
context = Flask(__name__)  # minapi's `help` looks for the caller in Flask's context (none here: not frozen)


@server.tool(name="help", title="minapi guide", structured_output=True)
def help_tool(topic: str | None = None) -> dict[str, Any]:
    """Explain how minapi works (the same answer as minapi's own `help` tool)."""
    with context.app_context():
        return minapi_help(topic)


app = server.streamable_http_app(streamable_http_path="/api/mcp", stateless_http=True,
                                 transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
