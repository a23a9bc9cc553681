"""Batches in the queue: jobs keep the order they were listed in; batches are per owner."""

from __future__ import annotations

import uuid

import pytest

from tests.queue.helpers import OWNER
from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.types import utcnow
from untxt.errors import NotFoundError
from untxt.options import JobOptions
from untxt.queue.batches import batch_jobs, create_batch, get_batch
from untxt.queue.jobs import enqueue_job


def test_batch_jobs_come_back_in_submission_order(db: Database) -> None:
    """Ids made in the same millisecond sort at random; the batch index keeps the order."""
    now = utcnow()
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=OWNER,
            sha256=uuid.uuid4().hex * 2,
            filename="scan.png",
            media_type="image/png",
            size=10,
            pages=1,
            now=now,
        )
        batch = create_batch(session, owner=OWNER, total=30, now=now)
        ids = [
            enqueue_job(
                session,
                owner=OWNER,
                document=document,
                options=JobOptions(),
                max_attempts=3,
                now=now,
                batch_id=batch.id,
                batch_index=index,
            ).id
            for index in range(30)
        ]

    with db.read() as session:
        assert get_batch(session, owner=OWNER, batch_id=batch.id).total == 30
        assert [row.id for row in batch_jobs(session, batch.id)] == ids
        assert {row.status for row in batch_jobs(session, batch.id)} == {"queued"}
        with pytest.raises(NotFoundError):
            get_batch(session, owner="mallory", batch_id=batch.id)
