"""Finishing tasks: a page done, a job assembled, a task failed. Every write is fenced."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from untxt.db.extractions import store_extraction
from untxt.db.models import ASSEMBLE_PAGE
from untxt.queue import statements as sql
from untxt.queue.lease import Lease, fence
from untxt.queue.outbox import record_event
from untxt.queue.retry import RetryPolicy
from untxt.queue.statements import run
from untxt.queue.transitions import cancel_requested, fail_job, settle_cancel
from untxt.search.index import index_pages
from untxt.search.text import PageText


class Outcome(enum.Enum):
    """What became of a task a worker finished."""

    DONE = "done"  # recorded; nothing more for this worker to do
    ASSEMBLE = "assemble"  # the last page: the worker now holds the assemble task
    RETRY = "retry"  # failed, queued again after a backoff
    FAILED = "failed"  # failed for good; the job failed
    CANCELLED = "cancelled"  # the job was cancelled meanwhile
    LOST = "lost"  # the lease had expired and another worker owns the task


@dataclass(frozen=True)
class PageDone:
    outcome: Outcome
    assemble: Lease | None = None


@dataclass(frozen=True)
class StoredResult:
    """One rendered output, already written to blob storage."""

    format: str
    blob_key: str
    media_type: str
    size: int


def _finish_task(
    session: Session,
    lease: Lease,
    now: datetime,
    *,
    status: str,
    error: str | None = None,
    result_key: str | None = None,
    run_after: datetime | None = None,
) -> bool:
    result = run(
        session,
        sql.FINISH_TASK,
        **fence(lease),
        now=now,
        set_status=status,
        set_error=error,
        set_result_key=result_key,
        set_run_after=run_after or now,
    )
    return bool(result.rowcount)


def complete_page(
    session: Session, lease: Lease, *, result_key: str, ttl: float, now: datetime
) -> PageDone:
    """Record a recognised page; the worker that completes the last page gets the assembly."""
    if not _finish_task(session, lease, now, status="done", result_key=result_key):
        return PageDone(Outcome.LOST)
    row = run(session, sql.COUNT_PAGE, job=lease.job_id, now=now).one_or_none()
    if row is None:  # the job already failed or was cancelled
        return PageDone(Outcome.CANCELLED)
    record_event(session, type="job.progress", job_id=lease.job_id, now=now)
    if row.cancel_requested:
        settle_cancel(session, lease.job_id, now=now)
        return PageDone(Outcome.CANCELLED)
    if row.pages_done < row.pages_total:
        return PageDone(Outcome.DONE)
    # Exactly one page completion sees pages_done == pages_total, and the
    # unique (job_id, page) key forbids a second assemble task regardless.
    assemble_id = run(
        session,
        sql.INSERT_ASSEMBLY,
        job=lease.job_id,
        set_max_attempts=lease.max_attempts,
        owner=lease.owner,
        now=now,
        expires=now + timedelta(seconds=ttl),
    ).scalar_one()
    return PageDone(
        Outcome.ASSEMBLE,
        Lease(
            task_id=assemble_id,
            job_id=lease.job_id,
            page=ASSEMBLE_PAGE,
            attempts=1,
            max_attempts=lease.max_attempts,
            owner=lease.owner,
        ),
    )


def complete_job(
    session: Session,
    lease: Lease,
    *,
    results: list[StoredResult],
    now: datetime,
    fields: dict[str, Any] | None = None,
    search: Sequence[PageText] = (),
) -> Outcome:
    """Record the assembled results (extracted ``fields``, ``search`` index pages) and
    complete the job, or cancel it, if asked meanwhile."""
    if not _finish_task(session, lease, now, status="done"):
        return Outcome.LOST
    return _complete(session, lease, results, now, fields, search)


def complete_only_page(
    session: Session,
    lease: Lease,
    *,
    results: list[StoredResult],
    now: datetime,
    fields: dict[str, Any] | None = None,
    search: Sequence[PageText] = (),
) -> Outcome:
    """Record the page of a one-page job and complete the job, in one transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # One statement, its events included (untxt.queue.batch_pg), rather than six.
        from untxt.queue.batch import Finished, complete_only_pages  # it builds on this one

        finished = Finished(lease, results, fields, search)
        return complete_only_pages(session, [finished], now=now)[lease.task_id]
    if not _finish_task(session, lease, now, status="done"):
        return Outcome.LOST
    row = run(session, sql.COUNT_PAGE, job=lease.job_id, now=now).one_or_none()
    if row is None:  # the job already failed or was cancelled
        return Outcome.CANCELLED
    record_event(session, type="job.progress", job_id=lease.job_id, now=now)
    if row.pages_done != row.pages_total:
        raise ValueError(f"job {lease.job_id} has {row.pages_total} pages, not one")
    return _complete(session, lease, results, now, fields, search)


def _complete(
    session: Session,
    lease: Lease,
    results: list[StoredResult],
    now: datetime,
    fields: dict[str, Any] | None,
    search: Sequence[PageText] = (),
) -> Outcome:
    status = run(session, sql.COMPLETE_JOB, job=lease.job_id, now=now).scalar_one_or_none()
    if status == "cancelled":
        record_event(session, type="job.cancelled", job_id=lease.job_id, now=now)
    if status != "completed":
        return Outcome.CANCELLED
    # Only the transaction that moves the job out of processing gets here, and
    # results are stored nowhere else: there are none to replace.
    if results:
        session.connection().execute(
            sql.INSERT_RESULT,
            [
                {
                    "job_id": lease.job_id,
                    "format": r.format,
                    "blob_key": r.blob_key,
                    "media_type": r.media_type,
                    "size": r.size,
                    "created_at": now,
                }
                for r in results
            ],
        )
    if fields is not None:
        store_extraction(session, job_id=lease.job_id, data=fields, now=now)
    # The index goes with the result: a search never finds a job that is not completed.
    index_pages(session, lease.job_id, search)
    record_event(session, type="job.completed", job_id=lease.job_id, now=now)
    return Outcome.DONE


def fail_task(
    session: Session,
    lease: Lease,
    *,
    error: str,
    permanent: bool,
    policy: RetryPolicy,
    now: datetime,
) -> Outcome:
    """Record a failed attempt: retry after a backoff, or fail the job for good."""
    if cancel_requested(session, lease.job_id):
        if not _finish_task(session, lease, now, status="cancelled", error=error):
            return Outcome.LOST
        settle_cancel(session, lease.job_id, now=now)
        return Outcome.CANCELLED
    if not permanent and not policy.exhausted(lease.attempts, lease.max_attempts):
        retry_at = policy.next_run_at(lease.attempts, now)
        if not _finish_task(session, lease, now, status="queued", error=error, run_after=retry_at):
            return Outcome.LOST
        return Outcome.RETRY
    if not _finish_task(session, lease, now, status="failed", error=error):
        return Outcome.LOST
    fail_job(session, lease.job_id, error=error, now=now)
    return Outcome.FAILED
