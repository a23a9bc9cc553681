"""Users, API keys, the audit log, and the server secret that signs sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from untxt.db.models.base import Base
from untxt.db.types import BigIntPK

USER_ROLES = ("admin", "user")


class UserRow(Base):
    """An account. Its id is the owner of everything it uploads and submits."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email", name="uq_users_email"),
        CheckConstraint(f"role IN {USER_ROLES!r}", name="role"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Stored lower-cased, so that lookups need no function index.
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    #: argon2id hash; ``None`` for accounts that use API keys only.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class ApiKeyRow(Base):
    """An API key of a user: the public prefix finds the row, the hash checks the secret."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        Index("ix_api_keys_user_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole key, hex.
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditEventRow(Base):
    """One security-relevant action: who did what to which thing, when, and from where."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime]
    #: A user id, ``local`` (single-user mode), ``cli``, or ``None`` when nobody signed in.
    actor: Mapped[str | None] = mapped_column(String(64))
    #: The actor's e-mail at the time, or the address a failed login gave.
    actor_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None]


class ServerSecretRow(Base):
    """A secret generated once and shared by every node, e.g. the session signing key."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
