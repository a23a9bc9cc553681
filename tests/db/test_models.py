"""Model helpers: rows made from the values our own statements wrote."""

from __future__ import annotations

from sqlalchemy import inspect

from untxt.db.models import BatchRow, JobRow, snapshot
from untxt.db.types import utcnow


def test_a_snapshot_reads_as_the_constructed_row_does() -> None:
    """Every column given reads back as given, the others as the constructor leaves them
    (unset: None), and the row belongs to no session."""
    now = utcnow()
    values = {
        "id": "job_1",
        "owner": "alice",
        "document_id": "doc_1",
        "status": "queued",
        "priority": 3,
        "options": {"outputs": ["json"]},
        "pages_total": 2,
        "pages_done": 0,
        "created_at": now,
        "updated_at": now,
    }
    made, built = snapshot(JobRow, values), JobRow(**values)
    columns = [column.key for column in inspect(JobRow).columns]
    assert {key: getattr(made, key) for key in columns} == {
        key: getattr(built, key) for key in columns
    }
    assert made.error is None and made.finished_at is None
    assert inspect(made).transient


def test_a_snapshot_is_its_model_and_holds_its_own_values() -> None:
    """A later change to the values given leaves the row as it was."""
    values = {"id": "batch_1", "owner": "alice", "total": 2, "created_at": utcnow()}
    batch = snapshot(BatchRow, values)
    values["total"] = 5
    assert isinstance(batch, BatchRow)
    assert batch.total == 2
