"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second choice)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from untxt.auth.errors import InvalidAccountError

MIN_PASSWORD = 8
MAX_PASSWORD = 1024


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _decoy_hash() -> str:
    return _hasher().hash("untxt-decoy-password")


def check_password_policy(password: str) -> None:
    """Raise :class:`InvalidAccountError` unless ``password`` has an acceptable length."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidAccountError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, salt and parameters included."""
    check_password_policy(password)
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a hash, spend the same time and say no.

    Answering an unknown account as slowly as a known one keeps login timing from
    telling which e-mail addresses exist.
    """
    try:
        if password_hash is None:
            _hasher().verify(_decoy_hash(), password + "\0")
            return False
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
