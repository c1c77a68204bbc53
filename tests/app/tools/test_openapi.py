"""`/api/openapi.json` is generated from the registry and matches it."""


def test_openapi_describes_every_action(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    ops = {op["operationId"]: (path, method, op) for path, item in spec["paths"].items()
           for method, op in item.items()}
    registry = app.extensions["minapi.tools"]
    assert set(ops) == {a.tool_name for a in registry.actions()}
    for action in registry.actions():
        path, method, op = ops[action.tool_name]
        assert method == action.method.lower()
        assert path.startswith("/api/v1/")
        assert op["x-minapi-kind"] == action.kind
        assert op["x-mcp-tool"] == (action.tool_name if action.exposed_on_mcp else None)


def test_help_operation_has_its_query_parameter_and_result_schema(client):
    op = client.get("/api/openapi.json").json["paths"]["/api/v1/help"]["get"]
    assert op["security"] == []
    assert [p["name"] for p in op["parameters"]] == ["topic"]
    result = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"topic", "title", "text", "topics"} <= set(result["properties"])
    assert result["properties"]["topics"]["items"]["properties"]["name"]["type"] == "string"
