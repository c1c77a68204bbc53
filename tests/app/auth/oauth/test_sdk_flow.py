"""The whole connector journey with the MCP SDK's own OAuthClientProvider over real HTTP:
discovery → registration (DCR or CIMD) → PKCE → consent → token → tool call → refresh with
rotation → step-up from read to write."""

import time

import pytest
from mcp.shared.exceptions import MCPError

from tests.app.auth.oauth.support import Person, sdk_provider, sdk_session

MODES = ["auto", "legacy"]


def expire_access_token(provider):
    """Make the client think its access token has expired, so its next request refreshes."""
    provider.context.token_expiry_time = time.time() - 1


@pytest.mark.parametrize("mode", MODES)
def test_dcr_flow_read_then_refresh_then_step_up(live, mode):
    app, base = live
    person = Person(base, access="read")
    provider = sdk_provider(base, person)

    async def read(client):
        tools = {t.name for t in (await client.list_tools()).tools}
        return tools, await client.call_tool("notes_list", {})

    tools, listed = sdk_session(base, provider, read, mode)
    assert {"notes_add", "notes_list", "help"} <= tools
    assert listed.is_error is False
    info, first = provider.context.client_info, provider.context.current_tokens
    assert info.client_id.startswith("mcc_") and info.client_secret is None
    assert first.scope == "mcp:read" and first.access_token.startswith("mat_")
    assert len(person.consent_pages) == 1 and "Test Connector" in person.consent_pages[0]
    # The client asks for what the 401 challenge names (both scopes); the person narrowed it to read.
    assert "mcp:write" in person.consent_pages[0].split("It asks for:")[1].split("</p>")[0]

    # Refresh with rotation: a new access token and a new refresh token.
    expire_access_token(provider)
    sdk_session(base, provider, lambda c: c.call_tool("notes_list", {}), mode)
    second = provider.context.current_tokens
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert len(person.consent_pages) == 1  # no new consent for a refresh

    # Step-up: a write tool with a read token → 403 insufficient_scope → consent for write → retried.
    person.access = "write"

    async def write(client):
        return await client.call_tool("notes_add", {"text": "from oauth"})

    added = sdk_session(base, provider, write, mode)
    assert added.is_error is False and added.structured_content["text"] == "from oauth"
    assert provider.context.current_tokens.scope == "mcp:read mcp:write"
    assert len(person.consent_pages) == 2 and "mcp:write" in person.consent_pages[1]
    assert provider.context.client_info.client_id == info.client_id  # no new registration


def test_person_can_grant_read_only_when_write_is_asked(live):
    app, base = live
    person = Person(base, access="read")
    provider = sdk_provider(base, person)
    provider.context.client_metadata.scope = "mcp:read mcp:write"

    async def go(client):
        with pytest.raises(MCPError) as info:
            await client.call_tool("notes_add", {"text": "x"})
        return info.value.error

    person.decision = "allow"
    # The first token is read-only whatever the client asked; the step-up gets read-only again,
    # so the write is refused with the step-up error.
    error = sdk_session(base, provider, go)
    assert error.data == {"code": "insufficient_scope", "scope": "mcp:write"}
