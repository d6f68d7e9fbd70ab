"""Fixtures for the hostile-input tests: the API clients of tests/api and a client that never raises."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import api, foreign, item, major  # noqa: F401  (shared fixtures)


@pytest.fixture
def browser_as():
    """A web client logged in as ``user`` that answers a server error with its 500 instead of raising it."""

    def login(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return login
