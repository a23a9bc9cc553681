"""Users: create, find and list accounts; roles are ``admin`` and ``user``."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from untxt.auth.errors import InvalidAccountError
from untxt.auth.passwords import hash_password
from untxt.db.models import USER_ROLES, UserRow
from untxt.db.types import utcnow
from untxt.errors import ConflictError
from untxt.ids import new_id

# Deliberately loose: one @, something on each side, a dot in the domain, no spaces
# or control characters.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")


def normalize_email(email: str) -> str:
    """``email`` trimmed and lower-cased; raises :class:`InvalidAccountError` if malformed."""
    value = email.strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidAccountError(f"{email!r} is not an e-mail address")
    return value


def create_user(
    session: Session,
    *,
    email: str,
    role: str = "user",
    password: str | None = None,
    now: datetime | None = None,
) -> UserRow:
    """Create a user; 409 :class:`ConflictError` if the e-mail address is taken."""
    if role not in USER_ROLES:
        raise InvalidAccountError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    address = normalize_email(email)
    if find_user_by_email(session, email=address) is not None:
        raise ConflictError(f"a user with e-mail {address} exists already")
    user = UserRow(
        id=new_id("usr"),
        email=address,
        role=role,
        password_hash=hash_password(password) if password is not None else None,
        created_at=now or utcnow(),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # created meanwhile by another node
        raise ConflictError(f"a user with e-mail {address} exists already") from None
    return user


def get_user(session: Session, *, user_id: str) -> UserRow | None:
    """The user ``user_id``, if it exists."""
    return session.get(UserRow, user_id)


def find_user_by_email(session: Session, *, email: str) -> UserRow | None:
    """The user with this e-mail address (any case), if any."""
    return session.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))


def list_users(session: Session, *, limit: int = 50, before: str | None = None) -> list[UserRow]:
    """Users, newest first; ``before`` is the last id of the previous page."""
    query = select(UserRow)
    if before:
        query = query.where(UserRow.id < before)
    return list(session.scalars(query.order_by(UserRow.id.desc()).limit(limit)))


def any_users(session: Session) -> bool:
    """Whether at least one user exists (single-user mode ends with the first)."""
    return session.scalar(select(UserRow.id).limit(1)) is not None


def count_users(session: Session) -> dict[str, int]:
    """Users by role."""
    rows = session.execute(select(UserRow.role, func.count()).group_by(UserRow.role))
    return {role: count for role, count in rows}
