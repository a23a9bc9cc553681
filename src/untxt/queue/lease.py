"""Claiming work: claim, heartbeat. A lease is what a worker holds while it runs a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from untxt.queue import statements as sql
from untxt.queue.outbox import record_event
from untxt.queue.statements import run


@dataclass(frozen=True)
class Lease:
    """A claimed task. ``(task_id, owner, attempts)`` fences every write the holder makes."""

    task_id: int
    job_id: str
    page: int
    attempts: int
    max_attempts: int
    owner: str


def fence(lease: Lease) -> dict[str, object]:
    """The bind parameters of :data:`~untxt.queue.statements.FENCE` for ``lease``."""
    return {"task": lease.task_id, "owner": lease.owner, "lease_attempts": lease.attempts}


def claim(session: Session, *, owner: str, ttl: float, now: datetime) -> Lease | None:
    """Take the highest-priority, oldest runnable task, or return ``None``."""
    if session.get_bind().dialect.name == "postgresql":
        # One statement, its event included (untxt.queue.batch_pg), rather than four.
        from untxt.queue.batch import claim_many  # batch builds on this module

        leases = claim_many(session, owner=owner, ttl=ttl, now=now, limit=1)
        return leases[0] if leases else None
    row = run(
        session, sql.CLAIM, now=now, owner=owner, expires=now + timedelta(seconds=ttl)
    ).one_or_none()
    if row is None:
        return None
    # The first claim moves the job out of queued, once: that is its processing event.
    if run(
        session, sql.START_QUEUED_JOB, job=row.job_id, now=now, lease_attempts=row.attempts
    ).rowcount:
        record_event(session, type="job.processing", job_id=row.job_id, now=now)
    else:
        run(session, sql.START_JOB, job=row.job_id, now=now, lease_attempts=row.attempts)
    return Lease(
        task_id=row.id,
        job_id=row.job_id,
        page=row.page,
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        owner=owner,
    )


def heartbeat(session: Session, lease: Lease, *, ttl: float, now: datetime) -> bool:
    """Extend ``lease``; ``False`` means it was lost (expired and reclaimed, or the job ended)."""
    result = run(
        session, sql.HEARTBEAT, **fence(lease), now=now, expires=now + timedelta(seconds=ttl)
    )
    return bool(result.rowcount)
