"""Enable the plugin under test; every other fixture comes from minapi's pytest plugin (`minapi_*`)."""

import pytest


@pytest.fixture
def minapi_plugins():
    return ["todo"]
