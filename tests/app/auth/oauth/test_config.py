"""The OAuth and device-login settings are checked at start-up like every other setting."""

import pytest

from app import ConfigError, create_app
from tests.conftest import base_config

INVALID = {
    "token ttl": ({"OAUTH_ACCESS_TOKEN_TTL": "an hour"}, "MINAPI_OAUTH_ACCESS_TOKEN_TTL"),
    "zero ttl": ({"OAUTH_REFRESH_TOKEN_TTL": 0}, "MINAPI_OAUTH_REFRESH_TOKEN_TTL"),
    "negative grace": ({"OAUTH_REFRESH_GRACE_SECONDS": -1}, "MINAPI_OAUTH_REFRESH_GRACE_SECONDS"),
    "register limit": ({"OAUTH_REGISTER_RATE_LIMIT": "lots"}, "MINAPI_OAUTH_REGISTER_RATE_LIMIT"),
    "exchange limit": ({"MCP_EXCHANGE_RATE_LIMIT": "x"}, "MINAPI_MCP_EXCHANGE_RATE_LIMIT"),
    "long client id": ({"ALLOWED_MCP_CLIENT_IDS": "a" * 129}, "MINAPI_ALLOWED_MCP_CLIENT_IDS"),
    "ca file": ({"CIMD_CA_FILE": "/nonexistent/ca.pem"}, "MINAPI_CIMD_CA_FILE"),
    "private flag": ({"CIMD_ALLOW_PRIVATE_ADDRESSES": "perhaps"}, "MINAPI_CIMD_ALLOW_PRIVATE_ADDRESSES"),
}


@pytest.mark.parametrize("override,message", INVALID.values(), ids=INVALID.keys())
def test_invalid_oauth_settings_stop_startup(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        create_app(base_config(tmp_path, **override))


def test_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MINAPI_ALLOWED_MCP_CLIENT_IDS", "claude-ai-web-prod, cursor,")
    monkeypatch.setenv("MINAPI_OAUTH_ACCESS_TOKEN_TTL", "600")
    monkeypatch.setenv("MINAPI_REDIS_URL", "redis://127.0.0.1:6379/5")
    app = create_app(base_config(tmp_path))
    assert app.config["ALLOWED_MCP_CLIENT_IDS"] == ["claude-ai-web-prod", "cursor"]
    assert app.config["OAUTH_ACCESS_TOKEN_TTL"] == 600
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/5"
