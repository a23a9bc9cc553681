"""The reaper: tasks whose lease expired (worker killed, machine lost) run again or fail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from untxt.metrics.hooks import task_retried_on_commit
from untxt.queue import statements as sql
from untxt.queue.retry import RetryPolicy
from untxt.queue.statements import ACTIVE, run
from untxt.queue.transitions import fail_job, settle_cancel


def reap_expired(session: Session, *, policy: RetryPolicy, now: datetime) -> int:
    """Return expired leases to the queue, or fail their jobs when tries are used up.

    Returns the number of tasks reaped. Each update re-checks the expiry, so a
    heartbeat that lands first keeps its task.
    """
    reaped = 0
    for task in run(session, sql.EXPIRED_LEASES, now=now).all():
        job = run(session, sql.JOB_STATE, job=task.job_id).one()
        # A job that ended meanwhile (failed by another page) needs none of its tasks.
        cancelling = job.cancel_requested or job.status not in ACTIVE
        if cancelling:
            status, run_after = "cancelled", now
        elif policy.exhausted(task.attempts, task.max_attempts):
            status, run_after = "failed", now
        else:
            status, run_after = "queued", policy.next_run_at(task.attempts, now)
        error = f"worker lost: the lease expired (attempt {task.attempts} of {task.max_attempts})"
        result = run(
            session,
            sql.REAP_TASK,
            task=task.id,
            lease_attempts=task.attempts,
            now=now,
            set_status=status,
            set_run_after=run_after,
            set_error=error,
        )
        if not result.rowcount:
            continue
        reaped += 1
        if status == "queued":
            task_retried_on_commit(session, "lease_expired")
        if cancelling:
            settle_cancel(session, task.job_id, now=now)
        elif status == "failed":
            where = f"page {task.page}: " if task.page else "assembling the result: "
            fail_job(session, task.job_id, error=where + error, now=now)
    return reaped
