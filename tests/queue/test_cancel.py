"""Cancelling jobs: queued ones at once, running ones once their running task lets go."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.queue.helpers import (
    OWNER,
    POLICY,
    TTL,
    claim_one,
    finish_job,
    finish_page,
    job_row,
    later,
    make_job,
    must_claim,
    reap,
    result_rows,
    task_rows,
)
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.errors import ConflictError, NotFoundError
from untxt.queue import Outcome, fail_task
from untxt.queue.jobs import cancel_job


def _cancel(db: Database, job_id: str, now: datetime, owner: str = OWNER) -> str:
    """Cancel as ``owner``; returns the job's status right after."""
    with db.write() as session:
        return cancel_job(session, owner=owner, job_id=job_id, now=now).status


def test_cancelling_a_queued_job_cancels_it_at_once(db: Database) -> None:
    """No task runs: the job and all its tasks are cancelled immediately."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    t1 = later(now, 1)
    assert _cancel(db, job_id, t1) == "cancelled"
    job = job_row(db, job_id)
    assert (job.status, job.finished_at, job.cancel_requested) == ("cancelled", t1, True)
    assert {t.status for t in task_rows(db, job_id)} == {"cancelled"}
    assert claim_one(db, "w1", t1) is None


def test_cancelling_a_running_job_waits_for_its_running_page(db: Database) -> None:
    """A processing job is marked cancel_requested; it ends when its running page completes."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    running = must_claim(db, "w1", now)
    assert _cancel(db, job_id, now) == "processing"
    job = job_row(db, job_id)
    assert (job.status, job.cancel_requested, job.finished_at) == ("processing", True, None)
    assert [(t.page, t.status) for t in task_rows(db, job_id)] == [
        (1, "processing"),
        (2, "cancelled"),
        (3, "cancelled"),
    ]
    assert claim_one(db, "w2", now) is None
    t1 = later(now, 2)
    done = finish_page(db, running, t1)
    assert (done.outcome, done.assemble) == (Outcome.CANCELLED, None)
    job = job_row(db, job_id)
    assert (job.status, job.finished_at) == ("cancelled", t1)
    assert 0 not in [t.page for t in task_rows(db, job_id)]


def test_cancelled_job_with_two_running_pages_ends_after_both(db: Database) -> None:
    """The job stays cancel_requested until its last running page lets go."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    first, second = must_claim(db, "w1", now), must_claim(db, "w2", now)
    _cancel(db, job_id, now)
    assert finish_page(db, first, now).outcome is Outcome.CANCELLED
    assert job_row(db, job_id).status == "processing"
    assert finish_page(db, second, now).outcome is Outcome.CANCELLED
    assert job_row(db, job_id).status == "cancelled"


@pytest.mark.parametrize("permanent", [False, True])
def test_cancelled_job_ends_when_its_running_page_fails(db: Database, permanent: bool) -> None:
    """A failing page of a cancel-requested job is not retried; the job is cancelled, not failed."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    _cancel(db, job_id, now)
    with db.write() as session:
        outcome = fail_task(
            session, lease, error="boom", permanent=permanent, policy=POLICY, now=now
        )
    assert outcome is Outcome.CANCELLED
    job = job_row(db, job_id)
    assert (job.status, job.error) == ("cancelled", None)
    assert [t.status for t in task_rows(db, job_id)] == ["cancelled"]
    assert claim_one(db, "w2", later(now, 100)) is None


def test_cancelled_job_ends_when_its_running_lease_is_reaped(db: Database) -> None:
    """A dead worker's task of a cancel-requested job is cancelled by the reaper, not retried."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    must_claim(db, "w1", now)
    _cancel(db, job_id, now)
    t1 = later(now, TTL + 1)
    assert reap(db, t1) == 1
    job = job_row(db, job_id)
    assert (job.status, job.finished_at) == ("cancelled", t1)
    assert {t.status for t in task_rows(db, job_id)} == {"cancelled"}
    assert claim_one(db, "w2", later(t1, 100)) is None


def test_cancel_during_assembly_cancels_instead_of_completing(db: Database) -> None:
    """The assembler finds the cancel request: no results, job cancelled."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble = finish_page(db, must_claim(db, "w1", now), now).assemble
    assert assemble is not None
    assert _cancel(db, job_id, now) == "processing"
    assert finish_job(db, assemble, now) is Outcome.CANCELLED
    assert job_row(db, job_id).status == "cancelled"
    assert result_rows(db, job_id) == []


def test_cancelling_a_job_waiting_for_retry_cancels_it_at_once(db: Database) -> None:
    """A processing job with nothing running (a page backing off) ends immediately."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        fail_task(session, lease, error="flaky", permanent=False, policy=POLICY, now=now)
    assert _cancel(db, job_id, now) == "cancelled"
    assert claim_one(db, "w1", later(now, 100)) is None


def test_cancelling_a_completed_job_is_a_conflict(db: Database) -> None:
    """A completed job cannot be cancelled, and stays completed."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble = finish_page(db, must_claim(db, "w1", now), now).assemble
    assert assemble is not None
    finish_job(db, assemble, now)
    with pytest.raises(ConflictError, match="completed"):
        _cancel(db, job_id, now)
    assert job_row(db, job_id).status == "completed"


def test_cancelling_a_failed_job_is_a_conflict(db: Database) -> None:
    """A failed job cannot be cancelled either."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        fail_task(session, lease, error="bad", permanent=True, policy=POLICY, now=now)
    with pytest.raises(ConflictError, match="failed"):
        _cancel(db, job_id, now)


def test_cancelling_a_cancelled_job_is_a_no_op(db: Database) -> None:
    """A second cancel changes nothing, not even ``finished_at``."""
    now = utcnow()
    job_id = make_job(db, now)
    _cancel(db, job_id, now)
    before = job_row(db, job_id)
    assert _cancel(db, job_id, later(now, 60)) == "cancelled"
    after = job_row(db, job_id)
    assert (after.status, after.finished_at, after.updated_at) == (
        "cancelled",
        before.finished_at,
        before.updated_at,
    )


def test_cancelling_another_owners_job_is_not_found(db: Database) -> None:
    """Owners cannot see, so cannot cancel, each other's jobs."""
    now = utcnow()
    job_id = make_job(db, now, owner="bob")
    with pytest.raises(NotFoundError):
        _cancel(db, job_id, now, owner="alice")
    assert job_row(db, job_id).status == "queued"
