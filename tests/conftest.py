"""Shared fixtures: an app on SQLite (default) or PostgreSQL, clients, accounts, plugins.

`MINAPI_TEST_DATABASE_URL=postgresql://…` runs the whole suite on PostgreSQL: the schema
is rebuilt by the migrations once per run and every table is emptied before each test.
On SQLite each test gets its own copy of a database migrated once per run.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import textwrap
import uuid

import pytest
from sqlalchemy import create_engine, text

from app import create_app

PG_URL = os.environ.get("MINAPI_TEST_DATABASE_URL") or ""
ON_POSTGRES = PG_URL.startswith("postgres")
TEST_SECRET = "test-secret-key-0123456789abcdef"


def base_config(instance, **extra) -> dict:
    cfg = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://localhost",
        "RATELIMIT_ENABLED": False,
    }
    cfg.update(extra)
    return cfg


def _pg_reset_schema(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database with every migration applied, made once per test run."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("template")
    if ON_POSTGRES:
        _pg_reset_schema(PG_URL)
        app = create_app(base_config(instance, DATABASE_URL=PG_URL))
    else:
        app = create_app(base_config(instance))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()
    return instance / "minapi.db"


def _empty_pg_tables(app) -> None:
    from app.extensions import db

    names = [t.name for t in db.metadata.sorted_tables]
    if names:
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def make_app(tmp_path, migrated_template):
    """Build a migrated app with extra config: `make_app(SIGNUP_OPEN=False)`."""
    made = []

    def factory(**extra):
        instance = tmp_path / f"instance{len(made)}"
        instance.mkdir()
        if ON_POSTGRES:
            extra.setdefault("DATABASE_URL", PG_URL)
        else:
            shutil.copy(migrated_template, instance / "minapi.db")
        app = create_app(base_config(instance, **extra))
        if ON_POSTGRES:
            with app.app_context():
                _empty_pg_tables(app)
        made.append(app)
        return app

    yield factory
    from app.deferred import flush_all
    from app.extensions import db

    flush_all()  # reads' logs and activity rows still waiting: written now, not while the next test empties the tables
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which keeps one app context open for the
    whole test: every request would then share one `g` (and its cached CSRF token and actor).
    Here, as in production, each request gets a context of its own."""
    yield


@pytest.fixture
def client(app):
    """A test client that does not keep request contexts alive between requests (pytest-flask's
    `with app.test_client()` would, and other clients' requests would then share its `g`)."""
    return app.test_client()


# -- browser-like helpers --------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_from(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def signup(client, email="ada@example.com", password="correct horse battery", name="Ada"):
    token = csrf_from(client, "/signup")
    resp = client.post("/signup", data={"email": email, "password": password, "display_name": name,
                                        "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp


@pytest.fixture
def signed_in(client):
    """A client signed in as a fresh account; `.csrf` holds a valid token for API calls."""
    signup(client)
    client.csrf = csrf_from(client, "/")
    return client


def mcp_key(app, email="ada@example.com", *, read_only=False, label="test", password="correct horse battery"):
    """Make sure the account exists, then mint an MCP key with the CLI; returns the key."""
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", email, "--password", password])
    args = ["keys", "create-mcp", email, "--label", label] + (["--read-only"] if read_only else [])
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[0]
    assert key.startswith("tm_mcp_")
    return key


# -- third-party plugins through a faked distribution ---------------------------------------

@pytest.fixture
def fake_plugin(tmp_path, monkeypatch):
    """Install a plugin module in a throwaway distribution with a `minapi.plugins` entry point.

    Returns (entry point name, module name). The module is importable, but nothing imports
    it unless the app enables it.
    """
    made = []

    def install(source: str, name: str | None = None) -> tuple[str, str]:
        name = name or f"sample{uuid.uuid4().hex[:8]}"
        module = f"minapi_test_{name}"
        root = tmp_path / f"site_{name}"
        (root / f"{module}-1.0.dist-info").mkdir(parents=True)
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        (root / f"{module}-1.0.dist-info" / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (root / f"{module}-1.0.dist-info" / "entry_points.txt").write_text(
            f"[minapi.plugins]\n{name} = {module}\n")
        monkeypatch.syspath_prepend(str(root))
        made.append(module)
        return name, module

    yield install
    for module in made:
        sys.modules.pop(module, None)
