"""API keys: ``untxt_<prefix>_<secret>``, stored as the SHA-256 of the whole key.

The prefix is public and finds the row; the secret has 256 bits of entropy, so a
plain hash is as good as a slow one for it (argon2 is for passwords people choose).
The raw key exists only in the answer to its creation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from untxt.db.models import ApiKeyRow, UserRow
from untxt.db.types import utcnow
from untxt.errors import NotFoundError
from untxt.ids import new_id

SCHEME = "untxt"
# last_used_at is written at most once this often per key, not on every request.
TOUCH_INTERVAL = timedelta(seconds=60)
_PREFIX = re.compile(r"[0-9a-f]{12}")


def hash_key(raw: str) -> str:
    """The stored form of a key: SHA-256, hex."""
    return hashlib.sha256(raw.encode()).hexdigest()


def key_prefix(raw: str) -> str | None:
    """The public prefix of a well-formed key, else ``None``."""
    scheme, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or not _PREFIX.fullmatch(prefix) or len(secret) < 32:
        return None
    return prefix


def create_api_key(
    session: Session,
    *,
    user_id: str,
    name: str | None = None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[ApiKeyRow, str]:
    """Create a key for ``user_id``; returns the row and the raw key, which is not stored."""
    prefix = secrets.token_hex(6)
    raw = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(
        id=new_id("key"),
        user_id=user_id,
        name=name or "unnamed",
        prefix=prefix,
        secret_hash=hash_key(raw),
        created_at=now or utcnow(),
        expires_at=expires_at,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, raw


def get_api_key(session: Session, *, key_id: str, user_id: str | None) -> ApiKeyRow:
    """Key ``key_id`` of ``user_id`` (of anyone when ``None``); raises :class:`NotFoundError`."""
    query = select(ApiKeyRow).where(ApiKeyRow.id == key_id)
    if user_id is not None:
        query = query.where(ApiKeyRow.user_id == user_id)
    row = session.scalar(query)
    if row is None:
        raise NotFoundError(f"no API key {key_id!r}")
    return row


def list_api_keys(
    session: Session, *, user_id: str | None, limit: int = 50, before: str | None = None
) -> list[ApiKeyRow]:
    """Keys of ``user_id`` (everyone's when ``None``), revoked ones included, newest first."""
    query = select(ApiKeyRow)
    if user_id is not None:
        query = query.where(ApiKeyRow.user_id == user_id)
    if before:
        query = query.where(ApiKeyRow.id < before)
    return list(session.scalars(query.order_by(ApiKeyRow.id.desc()).limit(limit)))


def revoke_api_key(
    session: Session, *, key_id: str, user_id: str | None, now: datetime
) -> ApiKeyRow:
    """Revoke a key (at once, for every node); revoking it again changes nothing."""
    row = get_api_key(session, key_id=key_id, user_id=user_id)
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def authenticate_key(
    session: Session, *, raw: str, now: datetime
) -> tuple[ApiKeyRow, UserRow] | None:
    """The key and its user if ``raw`` is a live key: known, not revoked, not expired."""
    prefix = key_prefix(raw)
    if prefix is None:
        return None
    found = session.execute(
        select(ApiKeyRow, UserRow)
        .join(UserRow, UserRow.id == ApiKeyRow.user_id)
        .where(ApiKeyRow.prefix == prefix)
    ).first()
    if found is None:
        return None
    key, user = found
    if not hmac.compare_digest(key.secret_hash, hash_key(raw)):
        return None
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return key, user


def needs_touch(key: ApiKeyRow, now: datetime) -> bool:
    """Whether ``last_used_at`` is old enough to be worth a write."""
    return key.last_used_at is None or now - key.last_used_at >= TOUCH_INTERVAL


def touch_api_key(session: Session, *, key_id: str, now: datetime) -> None:
    """Record a use of the key, unless another request recorded one within the interval."""
    session.execute(
        update(ApiKeyRow)
        .where(
            ApiKeyRow.id == key_id,
            or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at <= now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
    )


def count_api_keys(session: Session, *, now: datetime) -> int:
    """Live keys: neither revoked nor expired."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ApiKeyRow)
            .where(
                ApiKeyRow.revoked_at.is_(None),
                or_(ApiKeyRow.expires_at.is_(None), ApiKeyRow.expires_at > now),
            )
        )
        or 0
    )
