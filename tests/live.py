"""Real servers and real clients for tests: a threaded HTTP server, gunicorn, the MCP SDK client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from werkzeug.serving import WSGIRequestHandler, make_server

WSGIRequestHandler.log_request = lambda *a, **k: None  # keep test output readable


class LiveServer:
    """The test app on 127.0.0.1 over real HTTP, in a thread."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def minapi_exe() -> str:
    return os.path.join(os.path.dirname(sys.executable), "minapi")


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 3):
    """`minapi serve` as a user runs it; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen([minapi_exe(), "serve", "--port", str(port), "--workers", str(workers), "--no-worker"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def mcp_call(base_url: str, key: str | None, fn, mode: str = "auto", headers: dict | None = None,
             path: str = "/api/mcp"):
    """Open an SDK client session on /api/mcp (or `path`), run `await fn(client)`, return its result."""
    hdrs = dict(headers or {})
    if key:
        hdrs["x-api-key"] = key

    async def go():
        async with httpx2.AsyncClient(headers=hdrs, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
            async with Client(streamable_http_client(base_url + path, http_client=http), mode=mode) as client:
                return await fn(client)

    return asyncio.run(go())


def rpc(base_url: str, body: dict, key: str | None = None, path: str = "/api/mcp", **headers) -> httpx.Response:
    """A raw JSON-RPC POST to /api/mcp or `path` (as an old client would send it)."""
    hdrs = {"accept": "application/json, text/event-stream", "content-type": "application/json", **headers}
    if key:
        hdrs["x-api-key"] = key
    return httpx.post(base_url + path, content=json.dumps(body), headers=hdrs, timeout=30)


def tool_error(result) -> dict:
    """The error of an `isError` tool result: JSON `{"error": {...}}` in its text, never structured content
    (which would have to match the tool's output schema)."""
    assert result.is_error is True and result.structured_content is None, result
    return json.loads(result.content[0].text)["error"]


def rpc_payload(resp: httpx.Response) -> dict:
    """The JSON-RPC message in a JSON or one-event SSE response."""
    if resp.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in resp.text.splitlines() if line.startswith("data:")]
        return json.loads(data[-1])
    return resp.json()
