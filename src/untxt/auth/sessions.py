"""Browser sessions: a short-lived HS256 JWT in an HttpOnly cookie, plus a CSRF token.

The CSRF token is double-submitted: a readable ``untxt_csrf`` cookie the page echoes
in ``X-CSRF-Token``. The token is also a claim of the signed session, so a cookie
planted by a sibling domain cannot pair with a header of the attacker's choosing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

SESSION_COOKIE = "untxt_session"
CSRF_COOKIE = "untxt_csrf"
CSRF_HEADER = "X-CSRF-Token"
_ALGORITHM = "HS256"
_AUDIENCE = "untxt-session"


@dataclass(frozen=True)
class SessionClaims:
    """What a valid session token says."""

    user_id: str
    csrf: str
    expires_at: datetime


def issue_session(
    *, user_id: str, signing_key: str, ttl: timedelta, now: datetime
) -> tuple[str, SessionClaims]:
    """A signed session token for ``user_id`` and its claims (with a fresh CSRF token)."""
    # Whole seconds, as the token and the cookie state it.
    expires_at = (now + ttl).replace(microsecond=0)
    claims = SessionClaims(user_id=user_id, csrf=secrets.token_urlsafe(24), expires_at=expires_at)
    token = jwt.encode(
        {
            "sub": user_id,
            "aud": _AUDIENCE,
            "iat": int(now.timestamp()),
            "exp": int(claims.expires_at.timestamp()),
            "csrf": claims.csrf,
        },
        signing_key,
        algorithm=_ALGORITHM,
    )
    return token, claims


def read_session(token: str, *, signing_key: str) -> SessionClaims | None:
    """The claims of a valid, unexpired token signed with ``signing_key``, else ``None``."""
    try:
        payload = jwt.decode(
            token,
            signing_key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "exp", "aud", "csrf"]},
        )
    except jwt.PyJWTError:
        return None
    sub, csrf = payload.get("sub"), payload.get("csrf")
    if not isinstance(sub, str) or not isinstance(csrf, str):
        return None
    return SessionClaims(
        user_id=sub,
        csrf=csrf,
        expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
    )
