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

from sqlalchemy.orm import Session

from untxt.queue import statements as sql
from untxt.queue.outbox import record_event
from untxt.queue.statements import ACTIVE, run

__all__ = ["ACTIVE", "cancel_job", "cancel_requested", "fail_job", "settle_cancel"]


def fail_job(session: Session, job_id: str, *, error: str, now: datetime) -> None:
    """Fail the job and cancel its unfinished tasks (which fences out their workers)."""
    run(session, sql.CANCEL_UNFINISHED_TASKS, job=job_id, now=now)
    if run(session, sql.FAIL_JOB, job=job_id, set_error=error, now=now).rowcount:
        record_event(session, type="job.failed", job_id=job_id, now=now)


def settle_cancel(session: Session, job_id: str, *, now: datetime) -> bool:
    """Mark a cancel-requested job cancelled once none of its tasks is still running."""
    if run(session, sql.RUNNING_TASKS, job=job_id).scalar_one():
        return False
    if not run(session, sql.CANCEL_JOB, job=job_id, now=now).rowcount:
        return False
    record_event(session, type="job.cancelled", job_id=job_id, now=now)
    return True


def cancel_job(session: Session, job_id: str, *, now: datetime) -> None:
    """Cancel a job: queued work stops at once, a running page finishes first.

    The caller checks that the job is still active.
    """
    run(session, sql.CANCEL_QUEUED_TASKS, job=job_id, now=now)
    run(session, sql.REQUEST_CANCEL, job=job_id, now=now)
    settle_cancel(session, job_id, now=now)


def cancel_requested(session: Session, job_id: str) -> bool:
    """Whether a client asked to cancel the job."""
    state = run(session, sql.JOB_STATE, job=job_id).one_or_none()
    return bool(state and state.cancel_requested)
