"""Single-user mode: the cached "are there users?" answer, and which addresses are local."""

from __future__ import annotations

import time

import pytest

from untxt.auth import Accounts, create_user
from untxt.auth.accounts import is_loopback
from untxt.db import Database


def test_no_users_is_cached_then_asked_again(db: Database) -> None:
    accounts = Accounts(db, recheck_s=0.2)
    assert accounts.users_exist() is False
    with db.write() as session:
        create_user(session, email="late@example.com")

    assert accounts.users_exist_cached() is False  # not asked again yet
    time.sleep(0.25)
    assert accounts.users_exist() is True


def test_once_users_exist_the_answer_needs_no_query(db: Database) -> None:
    accounts = Accounts(db, recheck_s=0.0)
    with db.write() as session:
        create_user(session, email="one@example.com")
    assert accounts.users_exist() is True
    db.dispose()

    assert accounts.users_exist_cached() is True


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
    ],
)
def test_loopback_addresses(host: str, local: bool) -> None:
    assert is_loopback(host) is local
