"""create_app: configuration sources, validation, the instance folder and the secret key."""

import os

import pytest

from app import ConfigError, create_app
from tests.conftest import base_config


def test_app_has_plugins_registry_and_sqlite_by_default(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/minapi.db"
    assert app.extensions["minapi.tools"].get_tool("help") is not None
    assert app.config["BASE_URL"] == "http://127.0.0.1:8000"


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("MINAPI_BASE_URL", "https://minapi.example.org/")
    monkeypatch.setenv("MINAPI_SIGNUP_OPEN", "false")
    monkeypatch.setenv("MINAPI_DATABASE_URL", "postgres://u@db.example/minapi")
    monkeypatch.setenv("MINAPI_SECRET_KEY", "from-the-environment-0123")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["BASE_URL"] == "https://minapi.example.org"
    assert app.config["SIGNUP_OPEN"] is False
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/minapi"
    assert app.config["SECRET_KEY"] == "from-the-environment-0123"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_instance_config_file_is_read(tmp_path):
    (tmp_path / "config.py").write_text("BASE_URL = 'https://from-file.example'\n")
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["BASE_URL"] == "https://from-file.example"


def test_instance_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MINAPI_INSTANCE_PATH", str(tmp_path / "inst"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "inst")
    assert os.path.isdir(app.instance_path)


INVALID = {
    "database scheme": ({"DATABASE_URL": "mysql://x/y"}, "MINAPI_DATABASE_URL"),
    "relative base url": ({"BASE_URL": "minapi.example"}, "MINAPI_BASE_URL"),
    "base url with query": ({"BASE_URL": "https://x.example/?a=1"}, "MINAPI_BASE_URL"),
    "signup flag": ({"SIGNUP_OPEN": "maybe"}, "MINAPI_SIGNUP_OPEN"),
    "rate limit": ({"DATA_RATE_LIMIT": "lots"}, "MINAPI_DATA_RATE_LIMIT"),
    "redis url": ({"REDIS_URL": "http://redis"}, "MINAPI_REDIS_URL"),
    "plans": ({"PLANS": {"free": {"calls": "many"}}}, "calls"),
    "default plan": ({"DEFAULT_PLAN": "gold"}, "MINAPI_DEFAULT_PLAN"),
    "empty plugin list": ({"PLUGINS": " , "}, "MINAPI_PLUGINS"),
    "short secret": ({"SECRET_KEY": "short"}, "at least 16"),
    "archive url scheme": ({"ARCHIVE_URL": "ftp://host/archives"}, "MINAPI_ARCHIVE_URL"),
    "archive bucket": ({"ARCHIVE_URL": "s3:///prefix"}, "MINAPI_ARCHIVE_URL"),
    "s3 endpoint": ({"S3_ENDPOINT_URL": "localhost:9000"}, "MINAPI_S3_ENDPOINT_URL"),
    "self-service flag": ({"SELF_SERVICE_PLANS": "sometimes"}, "MINAPI_SELF_SERVICE_PLANS"),
}


def test_archive_url_defaults_to_the_instance_folder(tmp_path, monkeypatch):
    assert create_app(base_config(tmp_path)).config["ARCHIVE_URL"] == str(tmp_path / "archives")
    monkeypatch.chdir(tmp_path)
    assert create_app(base_config(tmp_path, ARCHIVE_URL="store")).config["ARCHIVE_URL"] == str(tmp_path / "store")
    app = create_app(base_config(tmp_path, ARCHIVE_URL="s3://bucket/a/b/", S3_ENDPOINT_URL="http://127.0.0.1:9000/"))
    assert (app.config["ARCHIVE_URL"], app.config["S3_ENDPOINT_URL"]) == ("s3://bucket/a/b", "http://127.0.0.1:9000")


@pytest.mark.parametrize("override,message", INVALID.values(), ids=INVALID.keys())
def test_invalid_configuration_stops_startup(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        create_app(base_config(tmp_path, **override))


def test_all_problems_are_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as info:
        create_app(base_config(tmp_path, BASE_URL="nope", SIGNUP_OPEN="maybe"))
    assert "MINAPI_BASE_URL" in str(info.value) and "MINAPI_SIGNUP_OPEN" in str(info.value)
