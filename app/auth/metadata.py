"""OAuth discovery documents for the MCP resource (RFC 9728 protected-resource metadata)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("wellknown", __name__)


def protected_resource() -> dict:
    base = current_app.config["BASE_URL"]
    doc = {
        "resource": base + "/api/mcp",
        "resource_name": "minapi",
        "scopes_supported": ["mcp:read", "mcp:write"],
        "bearer_methods_supported": ["header"],
    }
    servers = current_app.extensions.get("minapi.authorization_servers")
    if servers:
        doc["authorization_servers"] = servers
    return doc


@bp.get("/.well-known/oauth-protected-resource/api/mcp")
@bp.get("/.well-known/oauth-protected-resource")
def oauth_protected_resource():
    return jsonify(protected_resource())
