"""Fixtures for the OAuth tests: a live app with the notes plugin and an account."""

import pytest

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
