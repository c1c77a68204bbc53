"""minapi behind nginx configured as the README's "Connecting the AI clients" says, over TLS, with
`MINAPI_TRUSTED_PROXIES=1`: each client has its own registration limit, a forged X-Forwarded-For
does not help, and the forwarded scheme and host reach the app (cookies, MCP Host check)."""

import re
import shutil
import signal
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.app.auth.oauth.cimd_server import self_signed
from tests.app.auth.oauth.support import make_account
from tests.live import LiveServer, free_port
from tests.test_readme import README

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(NGINX is None, reason="nginx is not installed")]


def readme_location_block() -> str:
    block = re.search(r"```nginx\n(.*?)```", README, re.S).group(1)
    return re.search(r"(    location / \{.*?\n    \})", block, re.S).group(1)


@pytest.fixture
def nginx(tmp_path):
    """nginx on 127.0.0.1 (TLS), with the README's location block, in front of a port given later."""
    cert, key = self_signed(tmp_path)
    port, upstream = free_port(), free_port()
    location = readme_location_block().replace("http://127.0.0.1:8000", f"http://127.0.0.1:{upstream}")
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1;
        ssl_certificate {cert};
        ssl_certificate_key {key};
{location}
    }}
}}
""")
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            httpx.get(f"https://127.0.0.1:{port}/", verify=ssl.create_default_context(cafile=cert), timeout=1)
            break
        except httpx.HTTPError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
    yield {"base": f"https://127.0.0.1:{port}", "upstream": upstream, "cert": cert}
    proc.send_signal(signal.SIGQUIT)
    proc.wait(10)


def client(cert, address: str) -> httpx.Client:
    """A client connecting from its own loopback address (127.0.0.2, 127.0.0.3, …)."""
    ctx = ssl.create_default_context(cafile=cert)
    return httpx.Client(transport=httpx.HTTPTransport(verify=ctx, local_address=address), timeout=30)


def register(http, base, **headers) -> int:
    return http.post(f"{base}/oauth/register", headers=headers, json={
        "client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
        "token_endpoint_auth_method": "client_secret_post"}).status_code


def test_the_readme_proxy_setup_gives_each_client_its_own_limit(make_app, notes_plugin, nginx):
    base = nginx["base"]
    app = make_app(PLUGINS=notes_plugin, BASE_URL=base, TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True,
                   RATELIMIT_KEY_PREFIX=uuid.uuid4().hex, OAUTH_REGISTER_RATE_LIMIT="2/hour")
    with LiveServer(app, port=nginx["upstream"]):
        make_account(app)
        key = re.search(r"tm_mcp_[\w-]+", app.test_cli_runner().invoke(
            args=["keys", "create-mcp", "ada@example.com"]).output).group(0)
        with client(nginx["cert"], "127.0.0.2") as one, client(nginx["cert"], "127.0.0.3") as two:
            assert [register(one, base) for _ in range(3)] == [201, 201, 429]
            assert register(one, base, **{"X-Forwarded-For": "198.51.100.1"}) == 429  # forging does not help
            assert [register(two, base) for _ in range(2)] == [201, 201]

            # the forwarded scheme: signing in over https sets a Secure cookie that works
            login = one.get(f"{base}/login")
            assert login.status_code == 200
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login.text).group(1)
            signed_in = one.post(f"{base}/login", data={"email": "ada@example.com", "password": "correct horse battery",
                                                        "csrf_token": token})
            assert signed_in.status_code == 302 and "secure" in signed_in.headers["set-cookie"].lower()
            assert one.get(f"{base}/settings/ai").status_code == 200

            # the MCP Host check accepts the public host the proxy forwards
            mcp = one.post(f"{base}/api/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers={"Accept": "application/json, text/event-stream", "x-api-key": key,
                                    "MCP-Protocol-Version": "2025-11-25"})
            assert mcp.status_code == 200 and '"tools"' in mcp.text
