"""Hostile input (SPEC §2, §8): each class that once answered 500 now gets a 4xx in the error shape,
on the data plane, the REST API and MCP (an `isError` result), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.conftest import mcp_key
from tests.gateway_helpers import make_owner
from tests.hostile import (BIG_CURSOR, DEEP_ARRAY, DEEP_OBJECT, ERAS, assert_error_shape, assert_tool_error,
                           mcp_post, rpc_message, tool_call, tool_result)

LONG_ID = "rec_" + "0" * 40


@pytest.fixture
def owner(client):
    return make_owner(client)


@pytest.fixture
def ep(owner):
    return owner.create_endpoint(fields=[])


@pytest.fixture
def key(app, owner):
    return mcp_key(app, "owner@example.com")


def body_routes(app):
    """Every REST route that reads a JSON body, with its path parameters filled in."""
    registry = app.extensions["minapi.tools"]
    routes = []
    for action in registry.actions():
        if action.method in ("POST", "PUT", "PATCH"):
            routes.append((action.method, re.sub(r"<[^>]+>", "x", action.url_rule)))
    return routes


def raw_post(ep, body: bytes, method="POST", suffix=""):
    return ep.call(method, suffix, data=body, headers={"Content-Type": "application/json"})


# -- nesting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, '{"a":' + DEEP_ARRAY + "}"])
def test_deep_nesting_on_the_data_plane(ep, body):
    resp = raw_post(ep, body.encode())
    assert_error_shape(resp, status=400, code="validation_failed")


def test_nesting_limit_is_32_levels(ep):
    ok = '{"a":' * 31 + "[]" + "}" * 31  # 32 levels
    assert raw_post(ep, ok.encode()).status_code == 201
    too_deep = '{"a":' * 32 + "[]" + "}" * 32
    assert_error_shape(raw_post(ep, too_deep.encode()), status=400, code="validation_failed")
    brackets_in_strings = {"s": "[[[[{{{{" * 50}
    assert ep.call("POST", json=brackets_in_strings).status_code == 201


def test_deep_nesting_on_every_rest_route_with_a_body(app, owner, ep):
    routes = body_routes(app)
    assert len(routes) >= 19
    for method, path in routes:
        resp = owner.api(method, path, data=DEEP_OBJECT, headers={"Content-Type": "application/json"})
        assert_error_shape(resp, status=400, code="validation_failed")


@pytest.mark.parametrize("era", ERAS)
def test_deep_nesting_on_mcp_with_and_without_credentials(client, key, era):
    for body in (DEEP_ARRAY, DEEP_OBJECT):
        anonymous = mcp_post(client, None, body, era=era)
        assert anonymous.status_code == 401
        refused = mcp_post(client, key, body, era=era)
        assert refused.status_code == 400
        assert rpc_message(refused)["error"]["data"]["code"] == "validation_failed"
    # Arguments one level too deep: the tool says so; far too deep: the body is refused whole.
    assert_tool_error(tool_result(client, key, "api_call_post", {"endpoint": "x", "data": _nest(33)}, era=era),
                      "validation_failed")
    refused = mcp_post(client, key, tool_call("api_call_post", {"endpoint": "x", "data": _nest(40)}, era=era), era=era)
    assert refused.status_code == 400 and rpc_message(refused)["error"]["data"]["code"] == "validation_failed"


def _nest(levels: int):
    value = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# -- surrogates, invalid UTF-8, NUL, non-finite numbers -------------------------------------

HOSTILE_BODIES = {
    "escaped lone surrogate": b'{"name":"\\ud800"}',
    "lone low surrogate": b'{"name":"x\\udc00y"}',
    "raw surrogate bytes": b'{"name":"\xed\xa0\x80"}',
    "invalid utf-8": b'{"name":"\xff\xfe"}',
    "NUL": b'{"name":"a\\u0000b"}',
    "NUL in a key": b'{"a\\u0000":1}',
    "NaN": b'{"name":"x","n":NaN}',
    "Infinity": b'{"name":"x","n":-Infinity}',
    "1e999": b'{"name":"x","n":1e999}',
    "huge integer": b'{"name":"x","n":' + b"9" * 400 + b"}",
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_strict_json_on_the_data_plane(ep, body):
    assert_error_shape(raw_post(ep, body), status=400, code="invalid_json")
    record = ep.call("POST", json={"name": "ok"}).json["id"]
    assert_error_shape(raw_post(ep, body, "PUT", f"/{record}"), status=400, code="invalid_json")
    listed = ep.call("GET")
    assert listed.status_code == 200 and [r["data"] for r in listed.json["data"]] == [{"name": "ok"}]


def test_a_valid_surrogate_pair_is_kept(ep):
    created = raw_post(ep, b'{"name":"\\ud83d\\ude00"}')
    assert created.status_code == 201 and created.json["data"]["name"] == "\U0001F600"


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_strict_json_on_endpoint_create_and_update(owner, ep, body):
    for method, path in (("POST", "/api/v1/endpoints"), ("PATCH", f"/api/v1/endpoints/{ep.slug}")):
        resp = owner.api(method, path, data=body, headers={"Content-Type": "application/json"})
        assert_error_shape(resp, status=400, code="invalid_json")


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"], ids=["surrogate", "NUL"])
def test_every_mcp_tool_refuses_unstorable_arguments(app, client, key, bad):
    """Every tool on the 2026-07-28 revision: a lone surrogate or NUL in an argument is validation_failed."""
    registry = app.extensions["minapi.tools"]
    for action in registry.mcp_actions():
        names = list(action.args.fields) or ["extra"]
        for name in names[:3]:
            result = tool_result(client, key, action.tool_name, {name: bad})
            assert_tool_error(result, "validation_failed")


@pytest.mark.parametrize("era", ERAS)
def test_nul_in_mcp_arguments(client, key, ep, era):
    for args in ({"endpoint": ep.slug, "query": "a\x00"}, {"endpoint": ep.slug, "record_id": "rec_\x00"},
                 {"endpoint": "ep\x00"}, {"endpoint": ep.slug, "data": {"k": "v\x00"}}):
        name = "api_call_post" if "data" in args else "api_call_get"
        assert_tool_error(tool_result(client, key, name, args, era=era), "validation_failed")


def test_non_finite_numbers_in_mcp_arguments(client, key, ep):
    body = ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"api_call_post",'
            '"arguments":{"endpoint":"%s","data":{"n":NaN}}}}' % ep.slug)
    resp = mcp_post(client, key, body, headers={"mcp-method": "tools/call", "mcp-name": "api_call_post"})
    assert resp.status_code == 400 and rpc_message(resp)["error"]["data"]["code"] == "invalid_json"


# -- NUL in URLs ------------------------------------------------------------------------------

def test_nul_in_data_plane_paths_and_query(ep):
    record = ep.call("POST", json={"name": "ok"}).json["id"]
    for suffix, query in ((f"/{record}%00", None), ("/search", {"q": "a\x00b"}), ("", {"cursor": "\x00"}),
                          ("", {"x\x00": "1"})):
        resp = ep.call("GET", suffix, query_string=query)
        assert_error_shape(resp, status=400, code="validation_failed")
    resp = ep.owner.client.get(f"/api/v1/data/{ep.slug}%00", headers={"Authorization": f"Bearer {ep.sandbox}"})
    assert_error_shape(resp, status=400, code="validation_failed")
    hook = ep.call("POST", json={"name": "x"}, headers={"X-Webhook-Callback": "http://a.example/\x00"})
    assert_error_shape(hook, status=400, code="validation_failed")


def test_nul_in_rest_paths_and_query(owner, ep):
    for path in ("/api/v1/endpoints/ep%00", f"/api/v1/collaborators/{ep.slug}%00/keys",
                 "/api/v1/logs?query=a%00b", "/api/v1/logs/lookup?log_id=log_%00", "/api/v1/stats?endpoint=%00",
                 "/api/v1/archives/x%00/2026-01-01", "/api/v1/help?topic=%00"):
        assert_error_shape(owner.api("GET", path), status=400, code="validation_failed")


# -- ids and cursors --------------------------------------------------------------------------

def test_cursor_past_64_bits(ep, owner):
    for suffix, query in (("", {"cursor": BIG_CURSOR}), ("/search", {"q": "x", "cursor": BIG_CURSOR}),
                          ("", {"cursor": "A" * 5000}), ("", {"cursor": "cjEyMw" + "-" * 40})):
        assert_error_shape(ep.call("GET", suffix, query_string=query), status=400, code="validation_failed")
    for path in (f"/api/v1/logs?cursor={BIG_CURSOR}", f"/api/v1/api_call?endpoint={ep.slug}&cursor={BIG_CURSOR}",
                 "/api/v1/archives?cursor=" + "YTIwMjYtMDEtMDF8OTk5OTk5OTk5OTk5OTk5OTk5OTk5"):
        assert_error_shape(owner.api("GET", path), status=400, code="validation_failed")


def test_record_id_longer_than_any_id(ep, owner, app, client, key):
    resp = ep.call("GET", f"/{LONG_ID}")
    assert_error_shape(resp, status=404, code="record_not_found")
    assert resp.headers["X-Minapi-Log-Id"].startswith("log_")  # reached the endpoint: logged
    for method in ("PUT", "DELETE"):
        kw = {"json": {"name": "x"}} if method == "PUT" else {}
        assert_error_shape(ep.call(method, f"/{LONG_ID}", **kw), status=404, code="record_not_found")
    rest = owner.api("GET", "/api/v1/api_call", query_string={"endpoint": ep.slug, "record_id": "rec_" + "9" * 36})
    assert_error_shape(rest, status=404, code="record_not_found")
    rest = owner.api("DELETE", "/api/v1/api_call", query_string={"endpoint": ep.slug, "record_id": "rec_" + "9" * 36})
    assert_error_shape(rest, status=404, code="record_not_found")
    for era in ERAS:
        result = tool_result(client, key, "api_call_put", {"endpoint": ep.slug, "record_id": "rec_" + "9" * 36,
                                                           "data": {"a": 1}}, era=era)
        assert_tool_error(result, "record_not_found")
    logs = owner.api("GET", "/api/v1/logs", query_string={"status": "failed"}).json["logs"]
    assert len(logs) == 7 and {log["error_code"] for log in logs} == {"record_not_found"}
    too_long = owner.api("GET", "/api/v1/api_call", query_string={"endpoint": ep.slug, "record_id": "r" * 41})
    assert_error_shape(too_long, status=400, code="validation_failed")


# -- dates at the ends of the calendar, and whole days ----------------------------------------

def test_dates_at_the_ends_of_the_calendar(ep, owner):
    early = ep.call("GET", "/search", query_string={"q": "x", "to": "0001-01-01"})
    assert early.status_code == 200 and early.json["data"] == []
    late = ep.call("GET", "/search", query_string={"q": "x", "from": "9999-12-31T23:59:59-14:00"})
    assert_error_shape(late, status=400, code="validation_failed")
    for params in ({"to": "0001-01-01"}, {"from": "0001-01-01T00:00:00-14:00"}, {"to": "9999-12-31"}):
        resp = owner.api("GET", "/api/v1/logs", query_string=params)
        assert resp.status_code == 200, resp.json
    for params in ({"from": "9999-12-31T23:59:59-14:00"}, {"from": "0001-01-01T00:00:00+14:00"},
                   {"from": "2026-13-01"}, {"to": "x" * 500}):
        assert_error_shape(owner.api("GET", "/api/v1/logs", query_string=params), status=400,
                           code="validation_failed")
        assert_error_shape(ep.call("GET", "/search", query_string={"q": "x", **params}), status=400,
                           code="validation_failed")


def test_a_date_alone_means_the_whole_utc_day(app, client, owner, ep, key):
    today = datetime.now(timezone.utc).date().isoformat()
    kept = ep.call("POST", json={"name": "sunny day"}).json["id"]
    found = ep.call("GET", "/search", query_string={"q": "sunny", "from": today, "to": today}).json["data"]
    assert [r["id"] for r in found] == [kept]
    failed = [ep.call("GET", f"/rec_missing{i}") for i in range(5)]
    assert all(resp.status_code == 404 for resp in failed)
    rest = owner.api("GET", "/api/v1/logs", query_string={"status": "failed", "from": today, "to": today}).json
    assert len(rest["logs"]) == 5
    for era in ERAS:
        result = tool_result(client, key, "logs_search", {"status": "failed", "from": today, "to": today}, era=era)
        assert result["isError"] is False and len(result["structuredContent"]["logs"]) == 5
    before = owner.api("GET", "/api/v1/logs", query_string={"to": "2000-01-01"}).json
    assert before["logs"] == []


# -- Flask's own errors -----------------------------------------------------------------------

@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api", 404), ("GET", "/api/v1", 404), ("GET", "/api/v1/nothing", 404), ("PUT", "/api/mcp", 405),
    ("GET", "/oauth/token", 405), ("POST", "/healthz", 405), ("GET", "/v1/x", 404), ("GET", "/api/v1/data", 404),
    ("GET", "/api/v1/data/x/y/z", 404), ("PATCH", "/api/v1/help", 405), ("GET", "/.well-known/nothing", 404)])
def test_machine_paths_answer_json_even_to_a_browser(client, method, path, status):
    resp = client.open(path, method=method, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert_error_shape(resp, status=status)


def test_oversized_bodies_are_json_413_on_api_paths(app, client, owner, key):
    big = b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"}"
    for path in ("/api/v1/endpoints", "/api/mcp"):
        resp = owner.api("POST", path, data=big, headers={"Content-Type": "application/json", "Accept": "text/html",
                                                          "x-api-key": key})
        assert resp.status_code == 413, resp.get_data()[:200]
        assert resp.mimetype == "application/json"


def test_nul_in_pages_forms_and_oauth(client):
    for method, path, data in (("POST", "/signup", {"email": "a\x00@example.com", "password": "x" * 20}),
                               ("POST", "/login", {"email": "a@example.com\x00", "password": "x"}),
                               ("POST", "/oauth/token", {"grant_type": "authorization_code", "client_id": "c\x00"}),
                               ("GET", "/oauth/authorize?client_id=%00&response_type=code", None),
                               ("GET", "/invitations/tok%00en", None)):
        resp = client.open(path, method=method, data=data, headers={"Accept": "application/json"})
        assert_error_shape(resp, status=400, code="validation_failed")
