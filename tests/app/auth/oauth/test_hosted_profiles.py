"""The hosted-client profiles (`.ci/hosted_profiles.py`: Claude.ai, ChatGPT, Claude Code, Cursor,
VS Code) against `minapi serve` as a user runs it, with the server environment the script names."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES, PG_URL
from tests.live import free_port, minapi_exe, wait_for_port

SCRIPT = Path(__file__).resolve().parents[4] / ".ci" / "hosted_profiles.py"
EMAIL, PASSWORD = "profiles@example.com", "profiles password 1"


@pytest.mark.slow
def test_every_hosted_client_profile_connects_reads_and_writes(tmp_path):
    tls = tmp_path / "tls"
    made = subprocess.run([sys.executable, str(SCRIPT), "--make-tls", str(tls)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MINAPI_INSTANCE_PATH=str(tmp_path / "instance"), MINAPI_BASE_URL=base,
               MINAPI_SECRET_KEY="hosted-profiles-secret-0", MINAPI_CIMD_CA_FILE=str(tls / "cimd.crt"),
               MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES="true")
    env.pop("MINAPI_DATABASE_URL", None)
    if ON_POSTGRES:
        env["MINAPI_DATABASE_URL"] = PG_URL
    subprocess.run([minapi_exe(), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([minapi_exe(), "users", "create", EMAIL, "--password", PASSWORD], env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([minapi_exe(), "serve", "--port", str(port), "--workers", "2", "--no-worker"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc)
        run = subprocess.run([sys.executable, str(SCRIPT), base, EMAIL, PASSWORD], env=env, capture_output=True,
                             text=True, timeout=600)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    for name in ("Claude.ai (DCR", "Claude.ai (CIMD", "ChatGPT (CIMD, private_key_jwt, /oauth/<id>/client.json)",
                 "ChatGPT (CIMD, private_key_jwt, /oauth/client.json)", "ChatGPT (DCR", "Claude Code (CIMD",
                 "Claude Code (DCR", "Cursor (DCR", "VS Code (CIMD"):
        assert f"PASS {name}" in out, out
    assert out.count("refused clearly: 403 insufficient_scope") == 9
    assert "server/discover: supportedVersions" in out
    # Once the 401 challenge names both scopes (SPEC §4), no profile may need a step-up.
    challenges = set(re.findall(r"401 challenge: .* scope='([^']*)'", out))
    if all("mcp:write" in c.split() for c in challenges):
        assert "STEP-UP NEEDED" not in out, out
    print(out)


def test_without_the_server_environment_it_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINAPI_CIMD")}
    run = subprocess.run([sys.executable, str(SCRIPT), "http://127.0.0.1:9", "a@example.com", "pw"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "MINAPI_CIMD_CA_FILE" in run.stderr and "MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES=true" in run.stderr
