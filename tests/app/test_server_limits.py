"""What `minapi serve` (gunicorn) answers to requests that break HTTP itself: a request line or a
header over the limits, a malformed request, a chunked body with a bad chunk size. Every answer
is short JSON in the SPEC's error shape, never gunicorn's HTML page; a URL within the limits
(a maximal cursor) reaches the app, which answers it."""

from __future__ import annotations

import json
import os
import socket

import httpx
import pytest

from tests.conftest import ON_POSTGRES, PG_URL, mcp_key
from tests.live import gunicorn

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`minapi serve` with an account and its MCP key; yields (base URL, key)."""
    instance = tmp_path_factory.mktemp("serve")
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(instance), MINAPI_SECRET_KEY="limits-test-secret-0000",
               MINAPI_BASE_URL="http://127.0.0.1", MINAPI_RATELIMIT_ENABLED="false")
    if ON_POSTGRES:
        env["MINAPI_DATABASE_URL"] = PG_URL
    with gunicorn(env, workers=1) as url:
        from app import create_app
        from tests.conftest import base_config

        app = create_app(base_config(instance, **({"DATABASE_URL": PG_URL} if ON_POSTGRES else {})))
        key = mcp_key(app, "limits@example.com")
        yield url, key


def raw(url: str, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are; (status, headers, body) of the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def assert_short_json_error(status, headers, body, expected: int, code: str):
    assert status == expected, body[:300]
    assert headers["content-type"].startswith("application/json")
    assert len(body) < 400 and b"<html" not in body.lower()
    err = json.loads(body)["error"]
    assert err["code"] == code and err["message"]


def test_oversized_request_line_gets_a_short_json_414(server):
    url, _ = server
    answer = raw(url, b"GET /api/v1/help?x=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert_short_json_error(*answer, 414, "request_line_too_long")


def test_oversized_header_gets_a_json_431(server):
    url, _ = server
    answer = raw(url, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n")
    assert_short_json_error(*answer, 431, "headers_too_large")


@pytest.mark.parametrize("request_bytes", [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                                           b"GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"])
def test_malformed_requests_get_a_json_400(server, request_bytes):
    url, _ = server
    status, headers, body = raw(url, request_bytes)
    assert_short_json_error(status, headers, body, 400, "bad_request")


def test_a_maximal_cursor_reaches_the_app(server):
    url, key = server
    resp = httpx.get(f"{url}/api/v1/logs", params={"cursor": "A" * 8000}, headers={"x-api-key": key})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "validation_failed"


def test_bad_chunk_size_is_a_json_400(server):
    url, key = server
    created = httpx.post(f"{url}/api/v1/endpoints", json={"name": "Chunks"}, headers={"x-api-key": key})
    assert created.status_code == 201, created.text
    slug, data_key = created.json()["slug"], created.json()["owner_keys"]["sandbox"]
    for path, auth in ((f"/api/v1/data/{slug}", f"Authorization: Bearer {data_key}"),
                       ("/api/v1/endpoints", f"x-api-key: {key}")):
        request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\nContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n").encode()
        status, headers, body = raw(url, request)
        assert status == 400, body[:300]
        assert headers["content-type"].startswith("application/json")
        assert json.loads(body)["error"]["code"] in ("invalid_json", "bad_request")
    alive = httpx.get(f"{url}/api/v1/help")
    assert alive.status_code == 200
