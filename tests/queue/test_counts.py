"""The count of an owner's unfinished jobs that the queued-jobs quota reads."""

from __future__ import annotations

from tests.queue.helpers import OWNER, finish_job, finish_page, job_row, make_job, must_claim
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue.counts import count_unfinished_jobs
from untxt.queue.jobs import cancel_job


def test_unfinished_jobs_are_the_owners_queued_and_processing_ones(db: Database) -> None:
    """Queued and processing jobs count; completed and cancelled ones, and other
    owners' jobs, do not."""
    now = utcnow()
    completed = make_job(db, now)
    assemble = finish_page(db, must_claim(db, "w1", now), now).assemble
    assert assemble is not None
    finish_job(db, assemble, now)
    processing = make_job(db, now)
    must_claim(db, "w1", now)
    queued = make_job(db, now)
    cancelled = make_job(db, now)
    with db.write() as session:
        cancel_job(session, owner=OWNER, job_id=cancelled, now=now)
    make_job(db, now, owner="someone-else")
    statuses = [job_row(db, job).status for job in (completed, processing, queued, cancelled)]
    assert statuses == ["completed", "processing", "queued", "cancelled"]

    with db.read() as session:
        assert count_unfinished_jobs(session, owner=OWNER) == 2
        assert count_unfinished_jobs(session, owner="someone-else") == 1
        assert count_unfinished_jobs(session, owner="nobody") == 0
