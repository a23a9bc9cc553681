"""The queue across all owners, for admins: every job, and counts of what is where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from untxt.db.models import JOB_STATUSES, TASK_STATUSES, DocumentRow, JobRow, TaskRow


@dataclass(frozen=True)
class QueueStats:
    """Jobs and tasks by status, and the signs of a stalled queue."""

    jobs: dict[str, int]
    tasks: dict[str, int]
    #: When the oldest job still waiting for a worker was submitted.
    oldest_queued_at: datetime | None
    #: Tasks held by a worker whose lease ran out (the reaper will return them).
    expired_leases: int
    documents: int


def list_all_jobs(
    session: Session, *, status: str | None = None, limit: int = 50, before: str | None = None
) -> list[JobRow]:
    """Every owner's jobs, newest first; ``before`` is the last id of the previous page."""
    query = select(JobRow)
    if status:
        query = query.where(JobRow.status == status)
    if before:
        query = query.where(JobRow.id < before)
    return list(session.scalars(query.order_by(JobRow.id.desc()).limit(limit)))


def list_all_documents(
    session: Session, *, limit: int = 50, before: str | None = None
) -> list[DocumentRow]:
    """Every owner's live documents, newest first."""
    query = select(DocumentRow).where(DocumentRow.deleted_at.is_(None))
    if before:
        query = query.where(DocumentRow.id < before)
    return list(session.scalars(query.order_by(DocumentRow.id.desc()).limit(limit)))


def queue_stats(session: Session, *, now: datetime) -> QueueStats:
    """Counts over the whole queue; each is one aggregate query."""
    jobs = dict.fromkeys(JOB_STATUSES, 0)
    for status, count in session.execute(
        select(JobRow.status, func.count()).group_by(JobRow.status)
    ):
        jobs[status] = count
    tasks = dict.fromkeys(TASK_STATUSES, 0)
    for status, count in session.execute(
        select(TaskRow.status, func.count()).group_by(TaskRow.status)
    ):
        tasks[status] = count
    oldest = session.scalar(select(func.min(JobRow.created_at)).where(JobRow.status == "queued"))
    expired = session.scalar(
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.status == "processing", TaskRow.lease_expires_at < now)
    )
    documents = session.scalar(
        select(func.count()).select_from(DocumentRow).where(DocumentRow.deleted_at.is_(None))
    )
    return QueueStats(
        jobs=jobs,
        tasks=tasks,
        oldest_queued_at=oldest,
        expired_leases=int(expired or 0),
        documents=int(documents or 0),
    )
