"""`/api/openapi.json`: the OpenAPI 3.1 description, generated from the tool registry.

It uses the same JSON Schemas the MCP adapter sends, so REST and MCP cannot drift.
"""

from __future__ import annotations

import re

from flask import current_app

from app.tools.registry import Action, ToolRegistry
from app.tools.schemas import OPENAPI_VERSION, json_schema

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "details": {"type": "object"}},
    }},
}

SECURITY_SCHEMES = {
    "session": {"type": "apiKey", "in": "cookie", "name": "minapi_session",
                "description": "Dashboard session; unsafe methods also need the X-CSRFToken header."},
    "mcpKey": {"type": "apiKey", "in": "header", "name": "x-api-key",
               "description": "An MCP key (tm_mcp_…); also accepted as 'Authorization: Bearer'."},
    "oauth": {"type": "http", "scheme": "bearer",
              "description": "An OAuth 2.1 access token issued to an AI client."},
}


def _security(action: Action) -> list:
    if action.public:
        return []
    if action.needs_person:
        return [{"session": []}]
    return [{"session": []}, {"mcpKey": [action.scope]}, {"oauth": [action.scope]}]


def _operation(action: Action) -> dict:
    args = json_schema(action.args)
    path_names = re.findall(r"<([a-z_][a-z0-9_]*)>", action.path)
    required = set(args.get("required", []))
    params = [{"name": n, "in": "path", "required": True, "schema": args["properties"].get(n, {})}
              for n in path_names]
    op = {
        "operationId": action.tool_name,
        "summary": action.title,
        "description": action.description,
        "tags": [action.family],
        "security": _security(action),
        "x-minapi-kind": action.kind,
        "x-mcp-tool": action.tool_name if action.exposed_on_mcp else None,
        "responses": {
            str(action.status): {"description": "Success",
                                 "content": {"application/json": {"schema": json_schema(action.returns)}}},
            "default": {"description": "Error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }
    rest = {k: v for k, v in args["properties"].items() if k not in path_names}
    if action.method in ("GET", "DELETE"):
        params += [{"name": n, "in": "query", "required": n in required, "schema": s}
                   for n, s in rest.items()]
    else:
        body = dict(args, properties=rest)
        body["required"] = [r for r in args.get("required", []) if r not in path_names]
        if not body["required"]:
            body.pop("required")
        op["requestBody"] = {"required": bool(body.get("required")),
                             "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def build_spec(registry: ToolRegistry) -> dict:
    paths: dict = {}
    for action in registry.actions():
        path = re.sub(r"<([a-z_][a-z0-9_]*)>", r"{\1}", action.url_rule)
        paths.setdefault(path, {})[action.method.lower()] = _operation(action)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "minapi", "version": "1",
                 "description": "The minapi management API. Every non-destructive operation is also "
                                "an MCP tool at /api/mcp (see x-mcp-tool)."},
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "tags": [{"name": f.name, "description": f.summary} for f in registry.families.values()],
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}, "securitySchemes": SECURITY_SCHEMES},
    }
