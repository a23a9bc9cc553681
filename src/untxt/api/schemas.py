"""Response and request bodies of the HTTP API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from untxt.db.models import BatchRow, DocumentRow, JobRow
from untxt.options import JobOptions
from untxt.tracing import public_options

JobStatus = Literal["queued", "processing", "completed", "failed", "cancelled"]
#: The largest id a BIGINT column holds: a larger id or cursor is a 422 at the door,
#: not an integer overflow inside a query.
MAX_ROW_ID = 2**63 - 1

T = TypeVar("T")
R = TypeVar("R")


class DocumentOut(BaseModel):
    """An uploaded document."""

    id: str
    filename: str
    media_type: str
    size: int = Field(description="Bytes.")
    sha256: str
    pages: int
    created_at: datetime
    links: dict[str, str]

    @classmethod
    def of(cls, row: DocumentRow) -> DocumentOut:
        return cls(
            id=row.id,
            filename=row.filename,
            media_type=row.media_type,
            size=row.size,
            sha256=row.sha256,
            pages=row.pages,
            created_at=row.created_at,
            links={"self": f"/v1/documents/{row.id}", "content": f"/v1/documents/{row.id}/content"},
        )


class JobOut(BaseModel):
    """An OCR job and its progress."""

    id: str
    document_id: str
    filename: str = Field(description="The document's file name.")
    status: JobStatus
    priority: int
    queue_position: int | None = Field(
        description="For a queued job, how many runnable pages the queue hands out before "
        "this job's first (higher priority first, then oldest first); null in any other "
        "status, and in the answer to a submit."
    )
    options: dict[str, Any]
    progress: float = Field(description="pages_done / pages_total, from 0 to 1.")
    pages_done: int
    pages_total: int
    attempts: int = Field(description="Most tries any one page of the job has taken.")
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    batch_id: str | None = Field(description="The batch the job was submitted in, if any.")
    from_cache: bool = Field(
        description="Whether the job was answered from an earlier job's results (the "
        "result cache) rather than by running OCR."
    )
    links: dict[str, str]

    @classmethod
    def of(cls, row: JobRow, *, filename: str, queue_position: int | None = None) -> JobOut:
        """The job ``row``; ``queue_position`` counts only while the job is queued."""
        links = {"self": f"/v1/jobs/{row.id}", "document": f"/v1/documents/{row.document_id}"}
        if row.status == "completed":
            links["result"] = f"/v1/jobs/{row.id}/result"
        if row.batch_id:
            links["batch"] = f"/v1/batches/{row.batch_id}"
        return cls(
            id=row.id,
            document_id=row.document_id,
            filename=filename,
            status=row.status,
            priority=row.priority,
            queue_position=queue_position if row.status == "queued" else None,
            options=public_options(row.options),
            progress=round(row.pages_done / row.pages_total, 4) if row.pages_total else 0.0,
            pages_done=row.pages_done,
            pages_total=row.pages_total,
            attempts=row.attempts,
            error=row.error,
            created_at=row.created_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            batch_id=row.batch_id,
            # A job that ran took at least one try; one answered from the cache took none.
            from_cache=row.status == "completed" and row.attempts == 0,
            links=links,
        )


class JobCreate(BaseModel):
    """``POST /v1/jobs``: OCR an uploaded document."""

    document_id: str
    options: JobOptions = Field(default_factory=JobOptions)


class BatchCreate(BaseModel):
    """``POST /v1/jobs/batch`` as JSON: OCR uploaded documents, each with its own options."""

    jobs: list[JobCreate] = Field(min_length=1, description="At most UNTXT_MAX_BATCH items.")


class BatchCounts(BaseModel):
    """How many of a batch's jobs are in each status."""

    queued: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0

    @classmethod
    def of(cls, statuses: Iterable[str]) -> BatchCounts:
        return cls(**Counter(statuses))


class _BatchBase(BaseModel):
    id: str
    created_at: datetime
    total: int = Field(description="Jobs the batch was submitted with.")
    counts: BatchCounts = Field(description="Jobs by status; deleted jobs are not counted.")
    links: dict[str, str]

    @staticmethod
    def links_of(batch: BatchRow) -> dict[str, str]:
        return {"self": f"/v1/batches/{batch.id}"}


class BatchOut(_BatchBase):
    """A batch: its jobs' ids in the order they were submitted, and counts by status."""

    job_ids: list[str]

    @classmethod
    def of(cls, batch: BatchRow, jobs: Sequence[tuple[str, str]]) -> BatchOut:
        """``jobs``: ``(id, status)`` of the batch's jobs, in submission order."""
        return cls(
            id=batch.id,
            created_at=batch.created_at,
            total=batch.total,
            counts=BatchCounts.of(status for _, status in jobs),
            job_ids=[job_id for job_id, _ in jobs],
            links=cls.links_of(batch),
        )


class BatchSubmitted(_BatchBase):
    """The answer to a batch submit: the batch and its jobs, in the order they were listed."""

    jobs: list[JobOut]

    @classmethod
    def of(cls, batch: BatchRow, jobs: list[JobOut]) -> BatchSubmitted:
        return cls(
            id=batch.id,
            created_at=batch.created_at,
            total=batch.total,
            counts=BatchCounts.of(job.status for job in jobs),
            jobs=jobs,
            links=cls.links_of(batch),
        )


class ListOut(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` to get the next."""

    items: list[T]
    next_cursor: str | None

    @classmethod
    def page(cls, rows: Sequence[R], limit: int, convert: Callable[[R], T]) -> ListOut[T]:
        """A page of ``rows`` (newest first, ids descending); a full page has a next one."""
        cursor = getattr(rows[-1], "id", None) if len(rows) == limit else None
        return cls(items=[convert(row) for row in rows], next_cursor=cursor)


class JobListOut(ListOut[JobOut]):
    """One page of jobs; ``total`` counts every matching job when ``count=true`` is asked."""

    total: int | None = Field(
        None, description="Jobs matching the filters on all pages; null unless count=true."
    )

    @classmethod
    def of(
        cls,
        rows: Sequence[tuple[JobRow, str]],
        limit: int,
        *,
        positions: Mapping[str, int],
        total: int | None,
    ) -> JobListOut:
        """A page of ``(job, filename)`` rows, newest first; a full page has a next one."""
        items = [
            JobOut.of(job, filename=name, queue_position=positions.get(job.id))
            for job, name in rows
        ]
        cursor = rows[-1][0].id if len(rows) == limit else None
        return cls(items=items, next_cursor=cursor, total=total)


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str] = {}
