"""Claiming work: claim, heartbeat. A lease is what a worker holds while it runs a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal, select, update
from sqlalchemy.orm import Session

from untxt.db.models import JobRow, TaskRow
from untxt.db.types import UTCDateTime


@dataclass(frozen=True)
class Lease:
    """A claimed task. ``(task_id, owner, attempts)`` fences every write the holder makes."""

    task_id: int
    job_id: str
    page: int
    attempts: int
    max_attempts: int
    owner: str


def fenced(lease: Lease) -> ColumnElement[bool]:
    """The condition under which ``lease`` still holds its task."""
    return and_(
        TaskRow.id == lease.task_id,
        TaskRow.lease_owner == lease.owner,
        TaskRow.attempts == lease.attempts,
        TaskRow.status == "processing",
    )


def claim(session: Session, *, owner: str, ttl: float, now: datetime) -> Lease | None:
    """Take the highest-priority, oldest runnable task, or return ``None``.

    One statement picks and leases the task; PostgreSQL skips rows other
    claimers hold, SQLite's write lock (BEGIN IMMEDIATE) serialises claimers.
    """
    candidate = (
        select(TaskRow.id)
        .where(TaskRow.status == "queued", TaskRow.run_after <= now)
        .order_by(TaskRow.priority.desc(), TaskRow.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = session.execute(
        update(TaskRow)
        .where(TaskRow.id == candidate, TaskRow.status == "queued")
        .values(
            status="processing",
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=ttl),
            attempts=TaskRow.attempts + 1,
            updated_at=now,
        )
        .returning(TaskRow.id, TaskRow.job_id, TaskRow.page, TaskRow.attempts, TaskRow.max_attempts)
    ).one_or_none()
    if row is None:
        return None
    lease = Lease(
        task_id=row.id,
        job_id=row.job_id,
        page=row.page,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        owner=owner,
    )
    session.execute(
        update(JobRow)
        .where(JobRow.id == lease.job_id, JobRow.status.in_(("queued", "processing")))
        .values(
            status="processing",
            started_at=func.coalesce(JobRow.started_at, literal(now, UTCDateTime())),
            attempts=case(
                (JobRow.attempts < lease.attempts, lease.attempts), else_=JobRow.attempts
            ),
            updated_at=now,
        )
    )
    return lease


def heartbeat(session: Session, lease: Lease, *, ttl: float, now: datetime) -> bool:
    """Extend ``lease``; ``False`` means it was lost (expired and reclaimed, or the job ended)."""
    result = session.execute(
        update(TaskRow)
        .where(fenced(lease))
        .values(lease_expires_at=now + timedelta(seconds=ttl), updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
