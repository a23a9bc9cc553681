"""Accounts for tests: a user and a raw API key, made directly in the database."""

from __future__ import annotations

from typing import Any

from untxt.auth import create_api_key, create_user
from untxt.db import Database


def _database(target: Any) -> tuple[Database, Any]:
    """The database of ``target`` (a Database, AppState, app or TestClient) and its accounts."""
    if isinstance(target, Database):
        return target, None
    app = getattr(target, "app", target)  # a TestClient holds the app
    state = getattr(getattr(app, "state", None), "untxt", app)  # an app holds the AppState
    return state.db, getattr(state, "accounts", None)


def make_user_key(
    target: Any,
    email: str,
    admin: bool = False,
    *,
    password: str | None = None,
    name: str | None = None,
) -> str:
    """Create a user (an admin if ``admin``) and return a raw API key of theirs.

    ``target`` is a :class:`Database`, an app's state, the app, or a ``TestClient``.
    Given one of the last three, the app notices at once that single-user mode ended.
    """
    db, accounts = _database(target)
    with db.write() as session:
        user = create_user(
            session, email=email, role="admin" if admin else "user", password=password
        )
        _, raw = create_api_key(session, user_id=user.id, name=name)
    if accounts is not None:
        accounts.user_created()
    return raw


def bearer(key: str) -> dict[str, str]:
    """Request headers that authenticate with ``key``."""
    return {"Authorization": f"Bearer {key}"}
