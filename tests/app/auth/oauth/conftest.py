"""Fixtures for the OAuth tests: a live app with the notes plugin and an account."""

import pytest

from tests.app.auth.oauth.cimd_server import DocumentServer
from tests.app.auth.oauth.support import live_app, make_account
from tests.sample_plugins import NOTES


@pytest.fixture
def notes_plugin(fake_plugin):
    name, _ = fake_plugin(NOTES)
    return f"builtin,{name}"


@pytest.fixture
def live(make_app, notes_plugin):
    """(app, base_url) with one account, ada@example.com."""
    with live_app(make_app, PLUGINS=notes_plugin) as (app, url):
        make_account(app)
        yield app, url


@pytest.fixture
def docs(tmp_path):
    """A local HTTPS server for Client ID Metadata Documents (and JWKS) with its own certificate."""
    server = DocumentServer(tmp_path)
    yield server
    server.close()


@pytest.fixture
def cimd_live(make_app, notes_plugin, docs):
    """(app, base_url) that trusts `docs`' certificate and may fetch from loopback."""
    with live_app(make_app, PLUGINS=notes_plugin, CIMD_ALLOW_PRIVATE_ADDRESSES=True,
                  CIMD_CA_FILE=docs.cert) as (app, url):
        make_account(app)
        yield app, url
