"""Counts of an owner's jobs, for quotas."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from untxt.db.models import JobRow

#: Jobs that hold a place in the queue.
UNFINISHED_STATUSES = ("queued", "processing")


def count_unfinished_jobs(session: Session, *, owner: str) -> int:
    """How many of ``owner``'s jobs are queued or processing."""
    count = session.scalar(
        select(func.count())
        .select_from(JobRow)
        .where(JobRow.owner == owner, JobRow.status.in_(UNFINISHED_STATUSES))
    )
    return int(count or 0)
