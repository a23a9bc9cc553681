"""Accounts: users and roles, API keys, browser sessions, quotas, and the audit log.

With no user in the database untxt runs in single-user mode (every caller is the
``local`` owner); the first user ends it, and from then on every ``/v1`` request
needs an API key or a session. docs/security.md describes the model. Rate limits,
which count requests rather than accounts, are the API's middleware
(:mod:`untxt.api.ratelimit`).
"""

from untxt.auth.accounts import Accounts, Identity
from untxt.auth.errors import (
    AuthenticationError,
    CsrfError,
    InvalidAccountError,
    PermissionDeniedError,
)
from untxt.auth.keys import create_api_key
from untxt.auth.users import create_user

__all__ = [
    "Accounts",
    "AuthenticationError",
    "CsrfError",
    "Identity",
    "InvalidAccountError",
    "PermissionDeniedError",
    "create_api_key",
    "create_user",
]
