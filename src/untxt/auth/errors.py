"""Errors of authentication and authorisation, each mapped to one problem type."""

from __future__ import annotations

from untxt.errors import UntxtError


class AuthenticationError(UntxtError):
    """No credentials, or credentials that are unknown, revoked or expired (HTTP 401).

    ``challenge`` is the ``WWW-Authenticate`` value the answer carries.
    """

    status = 401
    problem = "unauthenticated"
    title = "Authentication required"
    permanent = True

    def __init__(self, detail: str, *, invalid: bool = False) -> None:
        super().__init__(detail)
        self.challenge = 'Bearer realm="untxt"' + (', error="invalid_token"' if invalid else "")


class PermissionDeniedError(UntxtError):
    """The caller is known but may not do this (HTTP 403): an admin-only endpoint, say."""

    status = 403
    problem = "forbidden"
    title = "Forbidden"
    permanent = True


class CsrfError(PermissionDeniedError):
    """A cookie-authenticated write without the matching ``X-CSRF-Token`` header."""

    problem = "csrf-failed"
    title = "CSRF token missing or wrong"


class InvalidAccountError(UntxtError):
    """An e-mail address, password or role that cannot be used (HTTP 422)."""

    status = 422
    problem = "invalid-account"
    title = "Invalid account details"
    permanent = True
