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
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from sqlalchemy.orm import Session

from untxt.db.driver import DriverStatement
from untxt.db.extractions import store_extraction
from untxt.queue import statements as sql
from untxt.queue.batch_pg import CLAIM_AND_START, FINISH_AND_COUNT, FINISH_COUNT_AND_RECORD
from untxt.queue.finish import Outcome, StoredResult
from untxt.queue.lease import Lease
from untxt.queue.outbox import iso, result_links
from untxt.queue.outbox_many import events_written, record_events
from untxt.queue.statements import run
from untxt.queue.transitions import settle_cancel
from untxt.search.index import index_pages
from untxt.search.text import PageText

_by_id = attrgetter("id")
# A worker runs these for every claim and every completion: straight on psycopg.
_CLAIM_AND_START = DriverStatement(CLAIM_AND_START)
_FINISH_AND_COUNT = DriverStatement(FINISH_AND_COUNT)
_FINISH_COUNT_AND_RECORD = DriverStatement(FINISH_COUNT_AND_RECORD)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim_many(
    session: Session, *, owner: str, ttl: float, now: datetime, limit: int
) -> list[Lease]:
    """Take up to ``limit`` runnable tasks; the leases come highest priority and oldest
    first, the order in which to run them."""
    params = {"now": now, "owner": owner, "expires": now + timedelta(seconds=ttl)}
    postgresql = _postgresql(session)
    rows: Sequence[Any]
    if postgresql:
        rows = _CLAIM_AND_START.execute(
            session.connection(), {**params, "limit": limit, "now_iso": iso(now)}
        )
        tasks = [(row.task_id, row) for row in rows]
        # A job of several tasks comes once per task, the same row each time.
        started: Sequence[Any] = list({row.id: row for row in rows if row.id is not None}.values())
    else:
        rows = run(session, sql.CLAIM_MANY, **params, limit=limit).all()
        tasks = [(row.id, row) for row in rows]
        jobs = sorted({row.job_id for row in rows})
        started = run(session, sql.START_QUEUED_JOBS, jobs=jobs, now=now).all() if jobs else []
    if not tasks:
        return []
    tasks.sort(key=lambda task: (-task[1].priority, task[0]))
    # A task tried before raises its job's attempts, as a claim one by one does.
    retried = [
        {"job": row.job_id, "now": now, "lease_attempts": row.attempts}
        for _, row in tasks
        if row.attempts > 1
    ]
    if retried:
        session.connection().execute(sql.START_JOB, retried)
    jobs_started = sorted(started, key=_by_id)
    if postgresql:  # the claim wrote their events
        events_written(
            session, [("job.processing", job, job.event_id) for job in jobs_started], now=now
        )
    else:
        record_events(session, [("job.processing", job) for job in jobs_started], now=now)
    return [
        Lease(
            task_id=task_id,
            job_id=row.job_id,
            page=row.page,
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            owner=owner,
        )
        for task_id, row in tasks
    ]


def _end_leases(
    session: Session,
    finished: Sequence[Finished],
    *,
    owner: str,
    now: datetime,
    record: bool,
) -> tuple[set[int], list[Any]]:
    """End the leases that still hold as done and count their jobs' pages: the ids of
    the tasks whose lease held, and the rows of the jobs counted, as the count left them.
    With ``record`` (PostgreSQL only) the same statement writes the counted jobs' events,
    their ids in the rows (``progress_event``, ``completed_event``)."""
    tasks = [f.lease.task_id for f in finished]
    attempts = [f.lease.attempts for f in finished]
    if _postgresql(session):
        leases = {"fence_tasks": tasks, "fence_attempts": attempts, "owner": owner, "now": now}
        connection = session.connection()
        if record:
            links = {
                f.lease.job_id: result_links(f.lease.job_id, sorted({r.format for r in f.results}))
                for f in finished
                if f.results
            }
            rows = _FINISH_COUNT_AND_RECORD.execute(
                connection, {**leases, "results": links, "now_iso": iso(now)}
            )
        else:
            rows = _FINISH_AND_COUNT.execute(connection, leases)
        return {row.task_id for row in rows}, [row for row in rows if row.id is not None]
    fences = list(zip(tasks, attempts, strict=True))
    held = {
        row.id for row in run(session, sql.FINISH_TASKS_DONE, fences=fences, owner=owner, now=now)
    }
    jobs = sorted({f.lease.job_id for f in finished if f.lease.task_id in held})
    ended = run(session, sql.COUNT_AND_COMPLETE, jobs=jobs, now=now).all() if jobs else []
    return held, list(ended)


@dataclass(frozen=True)
class Finished:
    """A one-page job's only task, done: its lease, results, fields and index pages."""

    lease: Lease
    results: list[StoredResult]
    fields: dict[str, Any] | None = None
    search: Sequence[PageText] = ()


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
    # On PostgreSQL the count writes the events too, unless fields are stored: their
    # completion events name the fields, which are stored after the count.
    record = _postgresql(session) and all(f.fields is None for f in finished)
    held, counted_jobs = _end_leases(session, finished, owner=owners.pop(), now=now, record=record)
    by_job = {f.lease.job_id: f for f in finished if f.lease.task_id in held}
    if not by_job:
        return outcomes
    ended = sorted(counted_jobs, key=_by_id)
    for job_id in by_job.keys() - {job.id for job in ended}:
        outcomes[by_job[job_id].lease.task_id] = Outcome.CANCELLED  # failed or cancelled
    for job in ended:
        if job.pages_done != job.pages_total:  # raised before anything is committed
            raise ValueError(f"job {job.id} has {job.pages_total} pages, not one")
    done = [job for job in ended if job.status == "completed"]
    results = [
        {
            "job_id": job.id,
            "format": r.format,
            "blob_key": r.blob_key,
            "media_type": r.media_type,
            "size": r.size,
            "created_at": now,
        }
        for job in done
        for r in by_job[job.id].results
    ]
    if results:
        session.connection().execute(sql.INSERT_RESULT, results)
    for job in done:
        fields = by_job[job.id].fields
        if fields is not None:
            store_extraction(session, job_id=job.id, data=fields, now=now)
        index_pages(session, job.id, by_job[job.id].search)
    if record:
        events_written(
            session,
            [
                *(("job.progress", job, job.progress_event) for job in ended),
                *(("job.completed", job, job.completed_event) for job in done),
            ],
            now=now,
        )
    else:
        # Each job's page was counted while it was processing: that is its progress event.
        counted = [SimpleNamespace(**{**job._asdict(), "status": "processing"}) for job in ended]
        progress = [("job.progress", job) for job in counted]
        # The results are those just stored: a job's results are written only by the
        # transaction that completes it.
        formats = {job.id: sorted({r.format for r in by_job[job.id].results}) for job in done}
        record_events(
            session,
            [*progress, *(("job.completed", job) for job in done)],
            now=now,
            formats=formats,
        )
    for job in done:
        outcomes[by_job[job.id].lease.task_id] = Outcome.DONE
    for job in ended:
        if job.cancel_requested:
            settle_cancel(session, job.id, now=now)
            outcomes[by_job[job.id].lease.task_id] = Outcome.CANCELLED
    return outcomes
