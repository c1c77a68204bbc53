"""A failed call's log says what failed: the endpoint by name and slug, the error's message and
details (which fields), kept from the moment the call was answered."""

from datetime import timedelta

from app.db import utcnow
from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.live import LiveServer, mcp_call

FIELDS = [{"name": "email", "type": "string", "required": True}, {"name": "age", "type": "number"}]


def test_failed_call_rows_name_the_endpoint_and_the_failed_fields(app, client):
    owner = make_owner(client)
    ep = owner.create_endpoint("user-signup", fields=FIELDS)
    bad = ep.call("POST", json={"age": "ten"})
    assert bad.status_code == 400
    told = bad.json["error"]
    assert ep.call("POST", json={"email": "a@example.com"}).status_code == 201
    today = utcnow().date().isoformat()
    key = mcp_key(app, "owner@example.com", read_only=True)

    async def go(client):
        failed = await client.call_tool("logs_search", {"status": "failed", "from": today, "to": today, "limit": 5})
        ok = await client.call_tool("logs_search", {"status": "success", "to": today})
        tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
        later = await client.call_tool("logs_search", {"from": tomorrow})
        return failed, ok, later

    with LiveServer(app) as server:
        failed, ok, later = mcp_call(server.url, key, go)
    (row,) = failed.structured_content["logs"]  # a date-only `to` covers the whole day
    assert (row["endpoint_name"], row["endpoint_slug"]) == ("user-signup", ep.slug)
    assert row["error_code"] == "validation_failed" and row["error_message"] == told["message"]
    assert row["error_details"] == told["details"] and set(row["error_details"]) == {"email", "age"}
    (success,) = ok.structured_content["logs"]
    assert success["error_message"] is None and success["error_details"] is None
    assert success["endpoint_name"] == "user-signup"
    assert later.structured_content["logs"] == []
    # REST serves the same rows.
    rest = owner.api("GET", "/api/v1/logs", query_string={"status": "failed"}).json["logs"]
    assert rest[0]["error_details"] == told["details"]
