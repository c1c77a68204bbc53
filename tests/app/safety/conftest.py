"""Fixtures for the AI controls: a person signed in through the dashboard with an endpoint, and
MCP keys of that account minted through the REST API (what a person does in Settings → AI)."""

from __future__ import annotations

import pytest

from tests.gateway_helpers import make_owner


def new_key(owner, label="Claude Code", read_only=False) -> dict:
    resp = owner.api("POST", "/api/v1/mcp_keys", json={"label": label, "read_only": read_only})
    assert resp.status_code == 201, resp.json
    return resp.json


def bearer(key: str) -> dict:
    return {"x-api-key": key}


@pytest.fixture
def ada(app):
    """Ada, signed in, with two endpoints (Orders and Notes)."""
    owner = make_owner(app.test_client(), "ada@example.com")
    owner.orders = owner.create_endpoint(name="Orders")
    owner.notes = owner.create_endpoint(name="Notes", fields=[])
    return owner
