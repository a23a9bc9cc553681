"""Reads of the outbox that event streams need beyond :mod:`untxt.queue.outbox`."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from untxt.queue.outbox import EVENTS
from untxt.queue.statements import JOBS, run

_IDS_AFTER = (
    select(EVENTS.c.id)
    .where(EVENTS.c.id > bindparam("after"))
    .order_by(EVENTS.c.id)
    .limit(bindparam("limit"))
)

_JOB_STATUS = select(JOBS.c.status).where(
    JOBS.c.id == bindparam("job"), JOBS.c.owner == bindparam("owner")
)


def event_ids_after(session: Session, *, after_id: int, limit: int = 1000) -> list[int]:
    """Ids of every owner's events after ``after_id``, ascending: the holes show which
    ids are not committed (yet, or ever)."""
    return list(run(session, _IDS_AFTER, after=after_id, limit=limit).scalars())


def job_status(session: Session, *, owner: str, job_id: str) -> str | None:
    """The owner's job's status, ``None`` when there is no such job (anymore)."""
    status: str | None = run(session, _JOB_STATUS, job=job_id, owner=owner).scalar_one_or_none()
    return status
