"""Jobs as a list shows them: pages of jobs with their file names, counts, queue positions.

A list page costs at most three statements whatever its length: the page (jobs
joined to their documents), the queue positions of its queued jobs, and, only
when asked, the count of every matching job.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, over, select
from sqlalchemy.orm import Session, aliased

from untxt.db.models import DocumentRow, JobRow, TaskRow
from untxt.errors import NotFoundError


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a list holds; ``owner=None`` is every owner's (an admin's list)."""

    owner: str | None
    status: str | None = None
    #: A piece of the document's file name, matched case-insensitively.
    q: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The filter as conditions on jobs joined to their documents."""
        found = []
        if self.owner is not None:
            found.append(JobRow.owner == self.owner)
        if self.status:
            found.append(JobRow.status == self.status)
        if self.q:
            found.append(DocumentRow.filename.icontains(self.q, autoescape=True))
        return found


def _jobs_with_filenames() -> Select[JobRow, str]:
    return select(JobRow, DocumentRow.filename).join(
        DocumentRow, DocumentRow.id == JobRow.document_id
    )


def job_page_query(
    where: JobFilter, *, limit: int = 50, before: str | None = None
) -> Select[JobRow, str]:
    """The statement of :func:`list_job_page`.

    Ordered by id, so the scan walks ``ix_jobs_owner_id`` (or the primary key for
    every owner) backwards and stops after ``limit`` matches, with no sort.
    """
    query = _jobs_with_filenames().where(*where.conditions())
    if before:
        query = query.where(JobRow.id < before)
    return query.order_by(JobRow.id.desc()).limit(limit)


def list_job_page(
    session: Session, where: JobFilter, *, limit: int = 50, before: str | None = None
) -> list[tuple[JobRow, str]]:
    """Matching jobs with their file names, newest first; ``before`` is the last id of the
    previous page."""
    rows = session.execute(job_page_query(where, limit=limit, before=before))
    return [(job, filename) for job, filename in rows]


def count_jobs(session: Session, where: JobFilter) -> int:
    """How many jobs match, over every page."""
    query = select(func.count()).select_from(JobRow)
    if where.q:
        # Without a name to match, counting needs no document.
        query = query.join(DocumentRow, DocumentRow.id == JobRow.document_id)
    return int(session.scalar(query.where(*where.conditions())) or 0)


def get_job_with_filename(session: Session, *, owner: str, job_id: str) -> tuple[JobRow, str]:
    """The caller's job ``job_id`` and its document's file name; raises :class:`NotFoundError`."""
    row = session.execute(
        _jobs_with_filenames().where(JobRow.id == job_id, JobRow.owner == owner)
    ).first()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    job, filename = row
    return job, filename


def queue_positions(session: Session, job_ids: Collection[str], *, now: datetime) -> dict[str, int]:
    """For each of ``job_ids`` that has queued tasks: how many runnable tasks the claim
    takes before the job's first one.

    The claim order is priority (higher first), then task id; a task waiting for a
    retry is not runnable, so it is not counted ahead of anyone. Jobs without queued
    tasks are left out.
    """
    if not job_ids:
        return {}
    ids = sorted(set(job_ids))
    if len(ids) == 1:
        return _queue_position(session, ids[0], now=now)
    # Tasks of a lower priority than every listed job's are never ahead of one of them.
    floor = (
        select(func.min(TaskRow.priority))
        .where(TaskRow.job_id.in_(ids), TaskRow.status == "queued")
        .scalar_subquery()
    )
    due = case((TaskRow.run_after <= now, 1), else_=0)
    # One ordered pass over the queued tasks (ix_tasks_claim): each task's count of
    # runnable tasks before it, rather than one count per listed job.
    ranked = (
        select(
            TaskRow.job_id,
            (
                over(
                    func.sum(due),
                    order_by=(TaskRow.priority.desc(), TaskRow.id),
                    rows=(None, 0),
                )
                - due
            ).label("ahead"),
        )
        .where(TaskRow.status == "queued", TaskRow.priority >= floor)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.job_id, func.min(ranked.c.ahead))
        .where(ranked.c.job_id.in_(ids))
        .group_by(ranked.c.job_id)
    )
    return {job_id: int(ahead) for job_id, ahead in rows}


def _queue_position(session: Session, job_id: str, *, now: datetime) -> dict[str, int]:
    """:func:`queue_positions` of one job: a count of the runnable tasks ahead of its
    first, about three times quicker than the ordered pass (measured on SQLite with
    10,000 queued tasks), for clients that poll one job."""
    first = aliased(TaskRow)
    ahead = (
        select(func.count())
        .select_from(TaskRow)
        .where(
            TaskRow.status == "queued",
            TaskRow.run_after <= now,
            or_(
                TaskRow.priority > first.priority,
                and_(TaskRow.priority == first.priority, TaskRow.id < first.id),
            ),
        )
        .scalar_subquery()
    )
    earliest = (
        select(func.min(TaskRow.id))
        .where(TaskRow.job_id == job_id, TaskRow.status == "queued")
        .scalar_subquery()
    )
    count = session.scalar(select(ahead).where(first.id == earliest))
    return {} if count is None else {job_id: int(count)}
