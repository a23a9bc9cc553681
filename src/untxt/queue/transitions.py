"""Job-level transitions to a final state, shared by workers, the reaper and clients.

Every statement that ends a job is guarded by ``status IN ('queued','processing')``,
so the first final transition wins and later ones change nothing. Locks are
taken tasks first, then the job; a statement that touches several tasks of a
job while holding one already skips rows others hold, so that no two
transactions wait on each other's tasks (those others see the job ended and
stand down).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from untxt.db.models import JobRow, TaskRow

ACTIVE = ("queued", "processing")


def fail_job(session: Session, job_id: str, *, error: str, now: datetime) -> None:
    """Fail the job and cancel its unfinished tasks (which fences out their workers)."""
    unfinished = (
        select(TaskRow.id)
        .where(TaskRow.job_id == job_id, TaskRow.status.in_(ACTIVE))
        .with_for_update(skip_locked=True)
    )
    session.execute(
        update(TaskRow)
        .where(TaskRow.id.in_(unfinished.scalar_subquery()))
        .values(status="cancelled", lease_owner=None, lease_expires_at=None, updated_at=now)
    )
    session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
        .values(status="failed", error=error, finished_at=now, updated_at=now)
    )


def settle_cancel(session: Session, job_id: str, *, now: datetime) -> bool:
    """Mark a cancel-requested job cancelled once none of its tasks is still running."""
    running = session.scalar(
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.job_id == job_id, TaskRow.status == "processing")
    )
    if running:
        return False
    result = session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=now, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def cancel_job(session: Session, job_id: str, *, now: datetime) -> None:
    """Cancel a job: queued work stops at once, a running page finishes first.

    The caller checks that the job is still active.
    """
    session.execute(
        update(TaskRow)
        .where(TaskRow.job_id == job_id, TaskRow.status == "queued")
        .values(status="cancelled", updated_at=now)
    )
    session.execute(
        update(JobRow)
        .where(JobRow.id == job_id, JobRow.status.in_(ACTIVE))
        .values(cancel_requested=True, updated_at=now)
    )
    settle_cancel(session, job_id, now=now)


def cancel_requested(session: Session, job_id: str) -> bool:
    """Whether a client asked to cancel the job."""
    return bool(session.scalar(select(JobRow.cancel_requested).where(JobRow.id == job_id)))
