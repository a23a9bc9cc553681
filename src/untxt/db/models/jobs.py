"""Documents, batches, jobs (what clients see), tasks (units of work), results.

Also ``idempotency_keys``: the answers given to submits that carried an ``Idempotency-Key``.
"""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from untxt.db.models.base import Base, where
from untxt.db.types import BigIntPK

JOB_STATUSES = ("queued", "processing", "completed", "failed", "cancelled")
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
TASK_STATUSES = ("queued", "processing", "done", "failed", "cancelled")
#: ``tasks.page`` of the task that assembles a job's result from its pages.
ASSEMBLE_PAGE = 0


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
        # Partial: a job is submitted with no finish time and, outside a batch, no batch
        # id, and each submit would enter them for nothing; the sweeps and batch lookups
        # compare the column, which implies that it is set.
        Index("ix_jobs_finished_at", "finished_at", **where("finished_at IS NOT NULL")),
        Index("ix_jobs_batch_id", "batch_id", **where("batch_id IS NOT NULL")),
        # The result cache looks for a completed job on the same document with these
        # options; the lookups of a document's jobs walk it too.
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
            **where("status = 'queued'"),
        ),
        # The reaper scans leases by expiry.
        Index(
            "ix_tasks_lease",
            "lease_expires_at",
            **where("status = 'processing'"),
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
