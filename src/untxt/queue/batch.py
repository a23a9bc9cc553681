"""Claiming and finishing many tasks in one transaction each, for workers that take
several at once (fast engines, many pages a second): the same rows, fences and events
as one by one, in a few statements.

Every promise of the queue holds: each lease is fenced by its own ``(task,
attempts)`` and its owner, a job gets exactly one processing and one final event, and
a lease that expired meanwhile changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from untxt.db.extractions import store_extraction
from untxt.queue import statements as sql
from untxt.queue.finish import Outcome, StoredResult
from untxt.queue.lease import Lease
from untxt.queue.outbox import record_events
from untxt.queue.statements import run
from untxt.queue.transitions import settle_cancel


def claim_many(
    session: Session, *, owner: str, ttl: float, now: datetime, limit: int
) -> list[Lease]:
    """Take up to ``limit`` runnable tasks; the leases come highest priority and oldest
    first, the order in which to run them."""
    rows = run(
        session,
        sql.CLAIM_MANY,
        now=now,
        owner=owner,
        expires=now + timedelta(seconds=ttl),
        limit=limit,
    ).all()
    if not rows:
        return []
    rows = sorted(rows, key=lambda r: (-r.priority, r.id))
    jobs = sorted({r.job_id for r in rows})
    started = [r.id for r in run(session, sql.START_QUEUED_JOBS, jobs=jobs, now=now)]
    # A task tried before raises its job's attempts, as a claim one by one does.
    retried = [
        {"job": r.job_id, "now": now, "lease_attempts": r.attempts} for r in rows if r.attempts > 1
    ]
    if retried:
        session.connection().execute(sql.START_JOB, retried)
    record_events(session, type="job.processing", job_ids=sorted(started), now=now)
    return [
        Lease(
            task_id=r.id,
            job_id=r.job_id,
            page=r.page,
            attempts=r.attempts,
            max_attempts=r.max_attempts,
            owner=owner,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Finished:
    """A one-page job's only task, done: its lease, results and fields."""

    lease: Lease
    results: list[StoredResult]
    fields: dict[str, Any] | None = None


def complete_only_pages(
    session: Session, finished: Sequence[Finished], *, now: datetime
) -> dict[int, Outcome]:
    """Record the pages of one-page jobs and complete the jobs, all in this transaction;
    the outcome of each by task id. All leases must have one owner."""
    outcomes = {f.lease.task_id: Outcome.LOST for f in finished}
    if not finished:
        return outcomes
    owners = {f.lease.owner for f in finished}
    if len(owners) != 1:
        raise ValueError("the leases of one batch have one owner")
    held = {
        row.id
        for row in run(
            session,
            sql.FINISH_TASKS_DONE,
            fences=[(f.lease.task_id, f.lease.attempts) for f in finished],
            owner=owners.pop(),
            now=now,
        )
    }
    by_job = {f.lease.job_id: f for f in finished if f.lease.task_id in held}
    if not by_job:
        return outcomes
    counted = run(session, sql.COUNT_PAGES, jobs=sorted(by_job), now=now).all()
    for job_id in by_job.keys() - {row.id for row in counted}:
        outcomes[by_job[job_id].lease.task_id] = Outcome.CANCELLED  # failed or cancelled
    record_events(session, type="job.progress", job_ids=sorted(r.id for r in counted), now=now)
    complete = []
    for row in counted:
        task = by_job[row.id].lease.task_id
        if row.pages_done != row.pages_total:
            raise ValueError(f"job {row.id} has {row.pages_total} pages, not one")
        if row.cancel_requested:
            settle_cancel(session, row.id, now=now)
            outcomes[task] = Outcome.CANCELLED
        else:
            complete.append(row.id)
    if not complete:
        return outcomes
    ended = run(session, sql.COMPLETE_JOBS, jobs=complete, now=now).all()
    done = sorted(r.id for r in ended if r.status == "completed")
    cancelled = sorted(r.id for r in ended if r.status == "cancelled")
    results = [
        {
            "job_id": job_id,
            "format": r.format,
            "blob_key": r.blob_key,
            "media_type": r.media_type,
            "size": r.size,
            "created_at": now,
        }
        for job_id in done
        for r in by_job[job_id].results
    ]
    if results:
        session.connection().execute(sql.INSERT_RESULT, results)
    for job_id in done:
        fields = by_job[job_id].fields
        if fields is not None:
            store_extraction(session, job_id=job_id, data=fields, now=now)
    record_events(session, type="job.cancelled", job_ids=cancelled, now=now)
    record_events(session, type="job.completed", job_ids=done, now=now)
    for job_id in done:
        outcomes[by_job[job_id].lease.task_id] = Outcome.DONE
    for job_id in cancelled:
        outcomes[by_job[job_id].lease.task_id] = Outcome.CANCELLED
    return outcomes
