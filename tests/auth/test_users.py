"""Users in the database: addresses, roles and argon2 password hashes."""

from __future__ import annotations

import pytest

from untxt.auth import InvalidAccountError, create_user
from untxt.auth.passwords import verify_password
from untxt.auth.users import find_user_by_email
from untxt.db import Database
from untxt.errors import ConflictError


def test_a_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    with db.write() as session:
        user = create_user(session, email=" Mixed@Example.COM ", password="hunter2hunter2")

    assert user.email == "mixed@example.com"
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert "hunter2" not in user.password_hash
    assert verify_password(user.password_hash, "hunter2hunter2")
    assert not verify_password(user.password_hash, "hunter2hunter3")
    assert not verify_password(None, "hunter2hunter2")


def test_addresses_are_unique_whatever_their_case(db: Database) -> None:
    with db.write() as session:
        create_user(session, email="dup@example.com")

    with pytest.raises(ConflictError), db.write() as session:
        create_user(session, email="DUP@example.com")
    with db.read() as session:
        assert find_user_by_email(session, email="Dup@Example.com") is not None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"email": "not-an-address"},
        {"email": "two@@example.com"},
        {"email": "nul\x00@example.com"},
        {"email": "x@example.com", "role": "root"},
        {"email": "x@example.com", "password": "short"},
    ],
)
def test_bad_account_details_are_refused(db: Database, kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidAccountError), db.write() as session:
        create_user(session, **kwargs)  # type: ignore[arg-type]
