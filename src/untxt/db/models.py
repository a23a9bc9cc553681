"""Tables: documents, batches, jobs (what clients see), tasks (units of work), results.

Also ``idempotency_keys``: the answers given to submits that carried an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from untxt.db.types import BigIntPK, UTCDateTime

# Stable constraint names, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JOB_STATUSES = ("queued", "processing", "completed", "failed", "cancelled")
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
TASK_STATUSES = ("queued", "processing", "done", "failed", "cancelled")
#: ``tasks.page`` of the task that assembles a job's result from its pages.
ASSEMBLE_PAGE = 0


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for prebuilt statements on hot paths."""
    return cast(Table, model.__table__)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class DocumentRow(Base):
    """An uploaded file, stored once per owner and content hash."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("owner", "sha256", name="uq_documents_owner_sha256"),
        Index("ix_documents_owner_id", "owner", "id"),
        Index("ix_documents_created_at", "created_at"),
        Index("ix_documents_blob_key", "blob_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class BatchRow(Base):
    """Jobs submitted together in one call; their statuses are counted from the jobs."""

    __tablename__ = "batches"
    __table_args__ = (CheckConstraint("total > 0", name="total"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class JobRow(Base):
    """One OCR request on one document; its status is what clients poll."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN {JOB_STATUSES!r}", name="status"),
        CheckConstraint("priority BETWEEN 0 AND 10", name="priority"),
        Index("ix_jobs_owner_id", "owner", "id"),
        Index("ix_jobs_owner_status_id", "owner", "status", "id"),
        Index("ix_jobs_document_id", "document_id"),
        Index("ix_jobs_finished_at", "finished_at"),
        Index("ix_jobs_batch_id", "batch_id"),
        # The result cache looks for a completed job on the same document with these options.
        Index("ix_jobs_document_id_options_fingerprint", "document_id", "options_fingerprint"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    options: Mapped[dict[str, Any]]
    pages_total: Mapped[int] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("batches.id"))
    #: The job's place in its batch, from 0: the order the client listed the items in.
    batch_index: Mapped[int | None] = mapped_column(Integer)
    #: What the result depends on besides the document (see untxt.queue.cache).
    options_fingerprint: Mapped[str | None] = mapped_column(String(64))


class TaskRow(Base):
    """A unit of work: one page of a job, or (page 0) assembling the job's result."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("job_id", "page", name="uq_tasks_job_id_page"),
        CheckConstraint(f"status IN {TASK_STATUSES!r}", name="status"),
        # The claim scans queued tasks by priority, then age.
        Index(
            "ix_tasks_claim",
            text("priority DESC"),
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        # The reaper scans leases by expiry.
        Index(
            "ix_tasks_lease",
            "lease_expires_at",
            sqlite_where=text("status = 'processing'"),
            postgresql_where=text("status = 'processing'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(SmallInteger)
    run_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None]
    result_key: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ResultRow(Base):
    """One stored output format of a completed job.

    A job served from the result cache has rows of its own that point at the blobs of
    the job it reuses; a blob is kept while any row points at it.
    """

    __tablename__ = "results"
    __table_args__ = (
        # The retention sweep and job deletion ask whether any result still uses a blob.
        Index("ix_results_blob_key", "blob_key"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(16), primary_key=True)
    blob_key: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class IdempotencyKeyRow(Base):
    """A submit's ``Idempotency-Key``, what the request asked, and the answer it got.

    The answer columns are filled in the transaction that claims the key, so a
    committed row always has them.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        CheckConstraint("status_code BETWEEN 100 AND 599", name="status_code"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


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
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
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


class ExtractionRow(Base):
    """The fields extracted from a completed job's document, and what lists invoices by.

    ``data`` is the extraction as the extractor gave it; corrections are rows of their
    own, applied when served. The summary columns (vendor, date, total, currency) hold
    the values in force, corrections included, so lists filter on what users see.
    """

    __tablename__ = "extractions"
    __table_args__ = (
        Index("ix_extractions_owner_job_id", "owner", "job_id"),
        Index("ix_extractions_owner_document_date", "owner", "document_date"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str] = mapped_column(String(40))
    document_type: Mapped[str] = mapped_column(String(32))
    #: The names of the fields found, for event payloads without loading ``data``.
    field_names: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]]
    vendor: Mapped[str | None] = mapped_column(String(255))
    #: ``vendor`` folded (lower case, no accents) for case- and accent-insensitive search.
    vendor_key: Mapped[str | None] = mapped_column(String(255))
    document_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FieldCorrectionRow(Base):
    """A value a user set by hand for one field of a job's extraction."""

    __tablename__ = "field_corrections"
    __table_args__ = (Index("ix_field_corrections_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("extractions.job_id", ondelete="CASCADE"))
    #: A field name, or ``Items/<index>/<name>`` for a field of an item.
    path: Mapped[str] = mapped_column(String(128))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    corrected_by: Mapped[str] = mapped_column(String(64))
    corrected_at: Mapped[datetime]


class TemplateRow(Base):
    """An owner's extraction template, in invoice2data's format, kept as it was given."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_templates_owner_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
