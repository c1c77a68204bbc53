"""SPEC §4: `initialize` and `server/discover` carry the instructions and a full serverInfo."""

import httpx
import pytest

from tests.conftest import mcp_key
from tests.live import LiveServer, free_port, mcp_call


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # server/discover (2026-07-28) and initialize
def test_instructions_and_server_info(make_app, mode):
    port = free_port()
    app = make_app(BASE_URL=f"http://127.0.0.1:{port}")
    with LiveServer(app, port) as server:
        key = mcp_key(app)

        async def go(client):
            return client.server_info, client.instructions, client.protocol_version

        info, instructions, protocol = mcp_call(server.url, key, go, mode=mode)
        assert (protocol == "2026-07-28") is (mode == "auto")
        assert info.name == "minapi" and info.title == "minapi" and info.version
        assert info.website_url == server.url
        (icon,) = info.icons
        assert icon.src.startswith(server.url) and icon.mime_type == "image/svg+xml"
        served = httpx.get(icon.src)
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/svg+xml")
        assert served.text.lstrip().startswith("<svg") and len(served.content) < 2048
    for needed in ("JSON API", "sandbox", "dashboard", "production", "UTC", "whole UTC day", "help"):
        assert needed in instructions, needed
    assert server.url in instructions  # where the person goes for destructive actions
    assert len(instructions) < 1000
