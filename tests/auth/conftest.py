"""Fixtures for account tests: an app with users in it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.auth_helpers import make_user_key

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"
USER_EMAIL = "user@example.com"
USER_PASSWORD = "staple gun 2024"


@pytest.fixture
def admin_key(client: TestClient) -> str:
    """An API key of an admin with a password; single-user mode has ended."""
    return make_user_key(client, ADMIN_EMAIL, admin=True, password=ADMIN_PASSWORD)


@pytest.fixture
def user_key(client: TestClient, admin_key: str) -> str:
    """An API key of a plain user with a password."""
    return make_user_key(client, USER_EMAIL, password=USER_PASSWORD)
