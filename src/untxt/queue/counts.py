"""Counts of an owner's jobs, for quotas."""

from __future__ import annotations

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from untxt.db.models import JobRow
from untxt.db.models.base import table_of

#: Jobs that hold a place in the queue.
UNFINISHED_STATUSES = ("queued", "processing")

_JOBS = table_of(JobRow)
# Built once and run on the connection: every submit under the queued-jobs quota runs it
# in its write transaction, and built at each call and run through the ORM it took three
# times the CPU, on 1,000 unfinished jobs (bench/README.md). One comparison per status,
# not IN: an IN of literals is expanded anew at each execution.
_COUNT_UNFINISHED = (
    select(func.count())
    .select_from(_JOBS)
    .where(
        _JOBS.c.owner == bindparam("owner"),
        or_(*(_JOBS.c.status == status for status in UNFINISHED_STATUSES)),
    )
)


def count_unfinished_jobs(db: Session | Connection, *, owner: str) -> int:
    """How many of ``owner``'s jobs are queued or processing (in a session's
    transaction, or on a connection without one)."""
    connection = db.connection() if isinstance(db, Session) else db
    count = connection.execute(_COUNT_UNFINISHED, {"owner": owner}).scalar_one()
    return int(count)
