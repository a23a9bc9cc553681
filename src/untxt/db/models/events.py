"""Job events (the outbox), webhook subscriptions and their secrets, deliveries, attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from untxt.db.models.base import Base, where
from untxt.db.types import BigIntPK

EVENT_TYPES = (
    "job.queued",
    "job.processing",
    "job.progress",
    "job.completed",
    "job.failed",
    "job.cancelled",
)
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class EventRow(Base):
    """The outbox: one row per job state change, written in the change's transaction.

    ``id`` only grows (never reused, also on SQLite), so it orders events and is the
    position a reader resumes from. ``data`` is the payload exactly as delivered.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_owner_id", "owner", "id"),
        Index("ix_events_job_id_id", "job_id", "id"),
        Index("ix_events_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    job_id: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class WebhookSubscriptionRow(Base):
    """An owner's endpoint that receives events of the listed types (``*`` for all)."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_owner_id", "owner", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    #: ``*``, or the types between commas with a comma at each end (``,job.failed,``),
    #: so that one ``LIKE`` matches a type in the fan-out statement on both databases.
    event_types: Mapped[str] = mapped_column(Text)
    #: The ``whsec_`` signing secret; HMAC signing needs it in the clear.
    secret: Mapped[str] = mapped_column(String(128))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookSecretRow(Base):
    """An owner's secret that signs deliveries to the ``webhook_url`` of their jobs."""

    __tablename__ = "webhook_secrets"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    """One event to one endpoint: a subscription's, or (no subscription) a job's own URL.

    A deliverer leases a pending delivery by moving ``next_attempt_at`` past the
    lease's end, so a delivery whose deliverer died is due again once it passes.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            **where("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_subscription_id_id", "subscription_id", "id"),
        Index("ix_webhook_deliveries_event_id", "event_id"),
        Index("ix_webhook_deliveries_owner_id", "owner", "id"),
        Index("ix_webhook_deliveries_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("events.id", ondelete="CASCADE"),
    )
    subscription_id: Mapped[str | None] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    owner: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class WebhookAttemptRow(Base):
    """One try of a delivery: when, how long, and what the endpoint answered."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        UniqueConstraint("delivery_id", "attempt", name="uq_webhook_attempts_delivery_id_attempt"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
    )
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error: Mapped[str | None] = mapped_column(Text)
