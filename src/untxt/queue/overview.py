"""The queue across all owners, for admins: counts of what is where, what finished
lately and what failed, and each owner's usage."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from untxt.db.models import JOB_STATUSES, TASK_STATUSES, DocumentRow, JobRow, TaskRow, UserRow


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


@dataclass(frozen=True)
class Bucket:
    """What finished in one interval: jobs completed, their pages, and jobs failed."""

    start: datetime
    completed: int
    pages: int
    failed: int


@dataclass(frozen=True)
class Waiting:
    """The job that has waited longest for a worker."""

    id: str
    created_at: datetime
    priority: int


@dataclass(frozen=True)
class OwnerUsage:
    """What one owner has: jobs, pages read, stored bytes, and when they last did anything."""

    owner: str
    email: str | None
    jobs: int
    pages: int
    stored_bytes: int
    last_activity_at: datetime | None


def queue_depth(session: Session) -> dict[str, dict[int, int]]:
    """Jobs counted by status, then by priority; every status is there, empty or not."""
    depth: dict[str, dict[int, int]] = {status: {} for status in JOB_STATUSES}
    rows = session.execute(
        select(JobRow.status, JobRow.priority, func.count()).group_by(
            JobRow.status, JobRow.priority
        )
    )
    for status, priority, count in rows:
        depth[status][int(priority)] = int(count)
    return depth


def throughput(session: Session, *, start: datetime, width: timedelta, count: int) -> list[Bucket]:
    """Jobs finished in ``count`` intervals of ``width`` from ``start``, in one statement.

    Each interval is a column of conditional sums rather than a group by a computed
    bucket, as SQLite and PostgreSQL have no date arithmetic in common; the scan is the
    range of ``ix_jobs_finished_at``.
    """
    edges = [start + width * i for i in range(count + 1)]
    columns = []
    for low, high in itertools.pairwise(edges):
        within = and_(JobRow.finished_at >= low, JobRow.finished_at < high)
        completed = and_(within, JobRow.status == "completed")
        columns += [
            func.sum(case((completed, 1), else_=0)),
            func.sum(case((completed, JobRow.pages_done), else_=0)),
            func.sum(case((and_(within, JobRow.status == "failed"), 1), else_=0)),
        ]
    row = session.execute(
        select(*columns).where(
            JobRow.finished_at >= edges[0],
            JobRow.finished_at < edges[-1],
            JobRow.status.in_(("completed", "failed")),
        )
    ).one()
    sums = [int(value or 0) for value in row]
    return [
        Bucket(start=edges[i], completed=sums[3 * i], pages=sums[3 * i + 1], failed=sums[3 * i + 2])
        for i in range(count)
    ]


def failure_reasons(session: Session, *, since: datetime, limit: int = 10) -> list[tuple[str, int]]:
    """The errors of jobs failed since ``since``, each with how many jobs ended with it,
    most frequent first."""
    count = func.count().label("count")
    rows = session.execute(
        select(func.coalesce(JobRow.error, ""), count)
        .where(JobRow.status == "failed", JobRow.finished_at >= since)
        .group_by(JobRow.error)
        .order_by(count.desc(), JobRow.error)
        .limit(limit)
    )
    return [(str(error), int(n)) for error, n in rows]


def oldest_waiting(session: Session) -> Waiting | None:
    """The queued job submitted first, whatever its priority."""
    row = session.execute(
        select(JobRow.id, JobRow.created_at, JobRow.priority)
        .where(JobRow.status == "queued")
        .order_by(JobRow.created_at, JobRow.id)
        .limit(1)
    ).first()
    return Waiting(row.id, row.created_at, int(row.priority)) if row else None


def usage_by_owner(session: Session) -> list[OwnerUsage]:
    """Every owner's jobs, pages and live documents' bytes, most recently active first.

    Owners are users' ids, or ``local`` in single-user mode; a user who has done nothing
    is listed with zeros.
    """
    jobs = {
        owner: (int(n), int(pages or 0), last)
        for owner, n, pages, last in session.execute(
            select(
                JobRow.owner, func.count(), func.sum(JobRow.pages_done), func.max(JobRow.created_at)
            ).group_by(JobRow.owner)
        )
    }
    live = case((DocumentRow.deleted_at.is_(None), DocumentRow.size), else_=0)
    documents = {
        owner: (int(size or 0), last)
        for owner, size, last in session.execute(
            select(DocumentRow.owner, func.sum(live), func.max(DocumentRow.created_at)).group_by(
                DocumentRow.owner
            )
        )
    }
    emails = {user: email for user, email in session.execute(select(UserRow.id, UserRow.email))}
    usage = []
    for owner in sorted(jobs.keys() | documents.keys() | emails.keys()):
        n, pages, last_job = jobs.get(owner, (0, 0, None))
        size, last_upload = documents.get(owner, (0, None))
        times = [t for t in (last_job, last_upload) if t is not None]
        usage.append(
            OwnerUsage(owner, emails.get(owner), n, pages, size, max(times) if times else None)
        )
    usage.sort(key=lambda u: u.last_activity_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return usage
