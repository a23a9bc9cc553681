"""Batches: jobs submitted in one call, created in the submit's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from untxt.db.models import BatchRow, JobRow, snapshot, table_of
from untxt.errors import NotFoundError
from untxt.ids import new_id

_INSERT_BATCH = insert(table_of(BatchRow))


def create_batch(session: Session, *, owner: str, total: int, now: datetime) -> BatchRow:
    """Create an empty batch for ``total`` jobs; the caller enqueues them with its id."""
    values = {"id": new_id("batch"), "owner": owner, "total": total, "created_at": now}
    session.execute(_INSERT_BATCH, values)
    return snapshot(BatchRow, values)


def get_batch(session: Session, *, owner: str, batch_id: str) -> BatchRow:
    """The caller's batch ``batch_id``; raises :class:`NotFoundError`."""
    batch = session.scalar(select(BatchRow).where(BatchRow.id == batch_id, BatchRow.owner == owner))
    if batch is None:
        raise NotFoundError(f"no batch {batch_id!r}")
    return batch


def batch_jobs(session: Session, batch_id: str) -> list[Row[tuple[str, str]]]:
    """``(id, status)`` of the batch's jobs that still exist, in the order they were submitted."""
    return list(
        session.execute(
            select(JobRow.id, JobRow.status)
            .where(JobRow.batch_id == batch_id)
            .order_by(JobRow.batch_index)
        )
    )
