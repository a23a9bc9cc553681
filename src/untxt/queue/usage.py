"""Usage by owner and day: the jobs submitted, the pages they read, the bytes they sent.

A job counts on the UTC day it was submitted. Its pages are those OCR has read
(``pages_done``: all of a completed job's, the pages finished before a failure),
its bytes the size of its document. Jobs deleted by their owner or by retention
no longer count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, String, case, func, select
from sqlalchemy.orm import Session

from untxt.db.models import DocumentRow, JobRow, UserRow


@dataclass(frozen=True)
class DailyUsage:
    """One owner's jobs submitted on one UTC day, and what they used."""

    owner: str
    day: date
    jobs: int
    completed: int
    failed: int
    pages: int
    bytes: int


def _day(session: Session) -> ColumnElement[str]:
    """A job's UTC day of submission as ``YYYY-MM-DD`` text.

    The two databases share no date function: SQLite keeps the times as naive UTC
    text, PostgreSQL as timestamps with a zone, read here in UTC whatever the
    session's zone is.
    """
    if session.get_bind().dialect.name == "postgresql":
        utc = func.timezone("UTC", JobRow.created_at)
        return func.to_char(utc, "YYYY-MM-DD", type_=String)
    return func.strftime("%Y-%m-%d", JobRow.created_at, type_=String)


def usage_by_day(
    session: Session, *, owner: str | None, first: date, last: date
) -> list[DailyUsage]:
    """``owner``'s usage (every owner's with ``None``) on each day from ``first`` to
    ``last`` (UTC, both included) that had any, by owner then day."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    day = _day(session).label("day")
    statement = (
        select(
            JobRow.owner,
            day,
            func.count(),
            func.sum(case((JobRow.status == "completed", 1), else_=0)),
            func.sum(case((JobRow.status == "failed", 1), else_=0)),
            func.sum(JobRow.pages_done),
            func.sum(DocumentRow.size),
        )
        .join(DocumentRow, DocumentRow.id == JobRow.document_id)
        .where(JobRow.created_at >= start, JobRow.created_at < end)
        .group_by(JobRow.owner, day)
        .order_by(JobRow.owner, day)
    )
    if owner is not None:
        statement = statement.where(JobRow.owner == owner)
    return [
        DailyUsage(
            owner=row_owner,
            day=date.fromisoformat(row_day),
            jobs=int(jobs),
            completed=int(completed or 0),
            failed=int(failed or 0),
            pages=int(pages or 0),
            bytes=int(size or 0),
        )
        for row_owner, row_day, jobs, completed, failed, pages, size in session.execute(statement)
    ]


def owner_emails(session: Session, owners: list[str]) -> dict[str, str]:
    """The e-mail address of each of ``owners`` that is a user (``local`` is none)."""
    if not owners:
        return {}
    rows = session.execute(select(UserRow.id, UserRow.email).where(UserRow.id.in_(owners)))
    return {user: email for user, email in rows}
