"""The reaper: tasks whose lease expired (worker killed, machine lost) run again or fail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from untxt.db.models import JobRow, TaskRow
from untxt.queue.retry import RetryPolicy
from untxt.queue.transitions import ACTIVE, fail_job, settle_cancel


def reap_expired(session: Session, *, policy: RetryPolicy, now: datetime) -> int:
    """Return expired leases to the queue, or fail their jobs when tries are used up.

    Returns the number of tasks reaped. Each update re-checks the expiry, so a
    heartbeat that lands first keeps its task.
    """
    expired = session.execute(
        select(TaskRow.id, TaskRow.job_id, TaskRow.page, TaskRow.attempts, TaskRow.max_attempts)
        .where(TaskRow.status == "processing", TaskRow.lease_expires_at < now)
        .order_by(TaskRow.id)
        .with_for_update(skip_locked=True)
    ).all()
    reaped = 0
    for task in expired:
        job = session.execute(
            select(JobRow.status, JobRow.cancel_requested).where(JobRow.id == task.job_id)
        ).one()
        # A job that ended meanwhile (failed by another page) needs none of its tasks.
        cancelling = job.cancel_requested or job.status not in ACTIVE
        error = f"worker lost: the lease expired (attempt {task.attempts} of {task.max_attempts})"
        if cancelling:
            values: dict[str, object] = {"status": "cancelled"}
        elif policy.exhausted(task.attempts, task.max_attempts):
            values = {"status": "failed"}
        else:
            values = {"status": "queued", "run_after": policy.next_run_at(task.attempts, now)}
        result = session.execute(
            update(TaskRow)
            .where(
                TaskRow.id == task.id,
                TaskRow.status == "processing",
                TaskRow.attempts == task.attempts,
                TaskRow.lease_expires_at < now,
            )
            .values(lease_owner=None, lease_expires_at=None, error=error, updated_at=now, **values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            continue
        reaped += 1
        if cancelling:
            settle_cancel(session, task.job_id, now=now)
        elif values["status"] == "failed":
            where = f"page {task.page}: " if task.page else "assembling the result: "
            fail_job(session, task.job_id, error=where + error, now=now)
    return reaped
