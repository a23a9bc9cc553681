"""Per-process account state: whether single-user mode holds, and turning credentials into
an identity."""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from untxt.auth import keys, sessions, users
from untxt.auth.errors import AuthenticationError
from untxt.auth.signing import load_signing_key
from untxt.config import Settings
from untxt.db.session import Database
from untxt.db.types import utcnow

# While no user exists, how often the database is asked again, so that a first user
# created by the CLI (another process, maybe another node) ends single-user mode soon.
USERS_RECHECK_S = 2.0


@dataclass(frozen=True)
class Identity:
    """An authenticated user, and how they proved it."""

    user_id: str
    email: str
    role: str
    via: Literal["key", "session"]
    key_id: str | None = None
    #: The session's CSRF token, which cookie-authenticated writes must echo.
    csrf: str | None = None


class Accounts:
    """Answers "are there users?" cheaply and checks API keys and session tokens."""

    def __init__(
        self,
        db: Database,
        *,
        secret_key: str | None = None,
        session_ttl: timedelta = timedelta(hours=8),
        recheck_s: float = USERS_RECHECK_S,
    ) -> None:
        self._db = db
        self._secret_key = secret_key
        self.session_ttl = session_ttl
        #: Seconds a "no users" answer is trusted before the database is asked again.
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._users_exist = False
        self._checked_at = float("-inf")
        self._signing_key: str | None = None

    @classmethod
    def from_settings(cls, db: Database, settings: Settings) -> Accounts:
        """Accounts of ``db`` with the session settings of ``settings``."""
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        return cls(db, secret_key=secret, session_ttl=timedelta(seconds=settings.session_ttl))

    def users_exist_cached(self) -> bool | None:
        """The cached answer, or ``None`` when it is due to be asked again."""
        if self._users_exist:
            return True
        if time.monotonic() - self._checked_at < self.recheck_s:
            return False
        return None

    def users_exist(self) -> bool:
        """Whether any user exists; once true it stays true (users end single-user mode)."""
        cached = self.users_exist_cached()
        if cached is not None:
            return cached
        with self._db.read() as session:
            found = users.any_users(session)
        with self._lock:
            self._users_exist = self._users_exist or found
            self._checked_at = time.monotonic()
        return self._users_exist

    def user_created(self) -> None:
        """End single-user mode at once (a user was created through this process)."""
        self._users_exist = True

    def signing_key(self) -> str:
        """The key that signs session tokens, loaded (or generated) on first use."""
        if self._signing_key is None:
            key = load_signing_key(self._db, configured=self._secret_key)
            with self._lock:
                self._signing_key = self._signing_key or key
        return self._signing_key

    def authenticate_key(self, raw: str, *, now: datetime | None = None) -> Identity:
        """The identity of a live API key; raises :class:`AuthenticationError`."""
        now = now or utcnow()
        with self._db.read() as session:
            found = keys.authenticate_key(session, raw=raw, now=now)
        if found is None:
            raise AuthenticationError("the API key is unknown, revoked or expired", invalid=True)
        key, user = found
        if keys.needs_touch(key, now):
            with self._db.write() as session:
                keys.touch_api_key(session, key_id=key.id, now=now)
        return Identity(user.id, user.email, user.role, via="key", key_id=key.id)

    def authenticate_session(self, token: str) -> Identity:
        """The identity of a valid session token; raises :class:`AuthenticationError`."""
        claims = sessions.read_session(token, signing_key=self.signing_key())
        if claims is None:
            raise AuthenticationError("the session has expired or is not valid; log in again")
        with self._db.read() as session:
            user = users.get_user(session, user_id=claims.user_id)
        if user is None:
            raise AuthenticationError("the session's user no longer exists; log in again")
        return Identity(user.id, user.email, user.role, via="session", csrf=claims.csrf)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False
