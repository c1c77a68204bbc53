"""endpoints_list / endpoints_get say when a plan with an endpoint lifetime deletes the endpoint."""

from datetime import datetime, timedelta

from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call


def listed(server, key, name):
    async def go(client):
        listing = await client.call_tool("endpoints_list", {})
        one = await client.call_tool("endpoints_get", {"endpoint": name})
        assert not listing.is_error and not one.is_error
        (row,) = [e for e in listing.structured_content["endpoints"] if e["name"] == name]
        return row, one.structured_content

    return mcp_call(server.url, key, go)


def test_free_plan_endpoints_show_when_they_are_deleted(app, client):
    owner = make_owner(client)
    owner.create_endpoint("Signups")
    key = mcp_key(app, "owner@example.com")
    with LiveServer(app) as server:
        row, detail = listed(server, key, "Signups")
        for shown in (row, detail):
            created = datetime.fromisoformat(shown["created_at"])
            assert datetime.fromisoformat(shown["expires_at"]) == created + timedelta(days=7)
        result = app.test_cli_runner().invoke(args=["users", "set-plan", "owner@example.com", "pro"])
        assert result.exit_code == 0, result.output
        row, detail = listed(server, key, "Signups")  # pro keeps endpoints: nothing to say
        assert "expires_at" not in row and "expires_at" not in detail
