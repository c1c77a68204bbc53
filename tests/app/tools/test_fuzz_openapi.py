"""schemathesis over /api/openapi.json, against the Flask app (WSGI), with an MCP key and with a
signed-in session: every generated request, valid or not, gets a success or a 4xx in the SPEC's
error shape, never a 5xx. Seeded and bounded for CI; MINAPI_FUZZ_EXAMPLES=N runs it longer."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from tests.conftest import csrf_from, mcp_key, signup
from tests.hostile import fuzz_examples

pytestmark = pytest.mark.fuzz

EXAMPLES = fuzz_examples(4)  # per operation, caller and mode: about 600 requests


@pytest.fixture(params=["mcp_key", "session"])
def auth(request, app, client):
    """Headers and cookies for one kind of caller, who owns an endpoint with a record and a log."""
    signup(client, email="fuzz@example.com")
    token = csrf_from(client, "/")
    created = client.post("/api/v1/endpoints", json={"name": "Fuzzed"}, headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.json
    data_key = created.json["owner_keys"]["sandbox"]
    client.post(f"/api/v1/data/{created.json['slug']}", json={"a": 1}, headers={"Authorization": f"Bearer {data_key}"})
    if request.param == "mcp_key":
        return {"headers": {"x-api-key": mcp_key(app, "fuzz@example.com")}, "cookies": {}}
    name = app.config["SESSION_COOKIE_NAME"]
    return {"headers": {"X-CSRFToken": token}, "cookies": {name: client.get_cookie(name).value}}


def api_schema(app):
    config = schemathesis.Config.from_dict({"seed": 14, "generation": {"deterministic": True}})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


def check(case, auth) -> None:
    response = case.call(headers=auth["headers"], cookies=auth["cookies"])
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        headers = {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in response.headers.items()}
        ctype = headers.get("content-type", "")
        assert ctype.startswith("application/json"), (response.status_code, response.text[:300])
        err = response.json()["error"]
        assert isinstance(err["code"], str) and isinstance(err["message"], str)
        assert set(err) <= {"code", "message", "details"}
        assert "Traceback" not in response.text


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_every_error_has_the_shape(app, auth, mode):
    """Every operation of the OpenAPI document, with valid and with invalid input."""
    operations = [result.ok() for result in api_schema(app).get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            check(case, auth)

        run()
