"""Finishing tasks: pages, the assembly, failures and retries, all fenced on the lease."""

from __future__ import annotations

import pytest

from tests.queue.helpers import (
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
    task_row,
    task_rows,
)
from untxt.db import Database
from untxt.db.models import ASSEMBLE_PAGE
from untxt.db.types import utcnow
from untxt.queue import Outcome, RetryPolicy, fail_task

# --- completing pages --------------------------------------------------------------------


def test_completing_pages_counts_pages_done(db: Database) -> None:
    """Each completed page adds one to ``pages_done`` and stores its result key."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    leases = [must_claim(db, "w1", now) for _ in range(3)]
    assert finish_page(db, leases[0], now).outcome is Outcome.DONE
    assert job_row(db, job_id).pages_done == 1
    assert finish_page(db, leases[1], now).outcome is Outcome.DONE
    assert job_row(db, job_id).pages_done == 2
    page = task_row(db, leases[0].task_id)
    assert page.status == "done"
    assert page.result_key == f"pages/{job_id}/1/1"
    assert (page.lease_owner, page.lease_expires_at) == (None, None)


def test_last_page_hands_its_worker_the_assemble_lease(db: Database) -> None:
    """The last page returns ASSEMBLE with a lease on a new page-0 task, already processing."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    first, last = must_claim(db, "w1", now), must_claim(db, "w2", now)
    finish_page(db, first, now)
    t1 = later(now, 3)
    done = finish_page(db, last, t1, ttl=20.0)
    assert done.outcome is Outcome.ASSEMBLE
    lease = done.assemble
    assert lease is not None
    assert (lease.job_id, lease.page, lease.owner, lease.attempts) == (job_id, 0, "w2", 1)
    assemble = task_row(db, lease.task_id)
    assert assemble.page == ASSEMBLE_PAGE
    assert assemble.status == "processing"
    assert assemble.lease_owner == "w2"
    assert assemble.lease_expires_at == later(t1, 20.0)
    job = job_row(db, job_id)
    assert (job.status, job.pages_done, job.pages_total) == ("processing", 2, 2)
    assert claim_one(db, "w3", t1) is None


def test_assembly_is_handed_out_once_when_pages_finish_on_different_workers(
    db: Database,
) -> None:
    """Of two workers finishing the two pages in turn, only the second gets the assembly."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    lease_a, lease_b = must_claim(db, "A", now), must_claim(db, "B", now)
    done_a = finish_page(db, lease_a, now)
    done_b = finish_page(db, lease_b, now)
    assert (done_a.outcome, done_a.assemble) == (Outcome.DONE, None)
    assert done_b.outcome is Outcome.ASSEMBLE
    assert [t.page for t in task_rows(db, job_id)] == [0, 1, 2]


def test_single_page_job_goes_straight_to_assembly(db: Database) -> None:
    """A one-page job's only page is also its last."""
    now = utcnow()
    make_job(db, now)
    done = finish_page(db, must_claim(db, "w1", now), now)
    assert done.outcome is Outcome.ASSEMBLE
    assert done.assemble is not None


def test_complete_job_stores_results_and_completes_the_job(db: Database) -> None:
    """The assembly writes one row per format and ends the job ``completed``."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble = finish_page(db, must_claim(db, "w1", now), now).assemble
    assert assemble is not None
    t1 = later(now, 2)
    assert finish_job(db, assemble, t1, tag="w1") is Outcome.DONE
    job = job_row(db, job_id)
    assert (job.status, job.error, job.finished_at) == ("completed", None, t1)
    rows = result_rows(db, job_id)
    assert [(r.format, r.blob_key, r.size) for r in rows] == [
        ("json", "results/w1/json", 20),
        ("text", "results/w1/text", 10),
    ]
    task = task_row(db, assemble.task_id)
    assert (task.status, task.lease_owner) == ("done", None)


# --- fencing ------------------------------------------------------------------------------


def test_worker_that_lost_its_page_cannot_complete_it(db: Database) -> None:
    """After a reap and reclaim, the old holder's completion is LOST; the new holder's wins."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    lease_a = must_claim(db, "A", now)
    t1 = later(now, TTL + 1)
    assert reap(db, t1) == 1
    t2 = later(t1, 5)
    lease_b = must_claim(db, "B", t2)
    assert (lease_b.task_id, lease_b.attempts) == (lease_a.task_id, 2)
    assert finish_page(db, lease_a, t2).outcome is Outcome.LOST
    assert job_row(db, job_id).pages_done == 0
    assert finish_page(db, lease_b, t2).outcome is Outcome.DONE
    assert finish_page(db, lease_a, t2).outcome is Outcome.LOST
    assert task_row(db, lease_a.task_id).result_key == f"pages/{job_id}/1/2"
    assert job_row(db, job_id).pages_done == 1


def test_worker_that_lost_its_page_cannot_fail_it(db: Database) -> None:
    """A late failure from the old holder leaves the new holder's lease and the job alone."""
    now = utcnow()
    job_id = make_job(db, now)
    lease_a = must_claim(db, "A", now)
    t1 = later(now, TTL + 1)
    reap(db, t1)
    lease_b = must_claim(db, "B", later(t1, 5))
    with db.write() as session:
        outcome = fail_task(
            session, lease_a, error="late crash", permanent=True, policy=POLICY, now=t1
        )
    assert outcome is Outcome.LOST
    task = task_row(db, lease_b.task_id)
    assert (task.status, task.lease_owner, task.attempts) == ("processing", "B", 2)
    assert job_row(db, job_id).status == "processing"


def test_worker_that_lost_the_assembly_cannot_complete_the_job(db: Database) -> None:
    """Assembly after a reap: the old holder's results are refused, one row per format stays."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble_a = finish_page(db, must_claim(db, "A", now), now).assemble
    assert assemble_a is not None
    t1 = later(now, TTL + 1)
    assert reap(db, t1) == 1
    t2 = later(t1, 5)
    assemble_b = must_claim(db, "B", t2)
    assert (assemble_b.task_id, assemble_b.page, assemble_b.attempts) == (
        assemble_a.task_id,
        ASSEMBLE_PAGE,
        2,
    )
    assert finish_job(db, assemble_b, t2, tag="B") is Outcome.DONE
    assert finish_job(db, assemble_a, t2, tag="A") is Outcome.LOST
    rows = result_rows(db, job_id)
    assert [(r.format, r.blob_key) for r in rows] == [
        ("json", "results/B/json"),
        ("text", "results/B/text"),
    ]
    assert job_row(db, job_id).status == "completed"


def test_late_assembly_before_the_new_holder_finishes_is_refused(db: Database) -> None:
    """The old assembler finishing first still loses: the new holder completes the job."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble_a = finish_page(db, must_claim(db, "A", now), now).assemble
    assert assemble_a is not None
    t1 = later(now, TTL + 1)
    reap(db, t1)
    assemble_b = must_claim(db, "B", later(t1, 5))
    assert finish_job(db, assemble_a, later(t1, 6), tag="A") is Outcome.LOST
    assert result_rows(db, job_id) == []
    assert job_row(db, job_id).status == "processing"
    assert finish_job(db, assemble_b, later(t1, 7), tag="B") is Outcome.DONE
    assert {r.blob_key for r in result_rows(db, job_id)} == {"results/B/json", "results/B/text"}


# --- failures and retries --------------------------------------------------------------


def test_transient_failure_requeues_the_task_after_a_backoff(db: Database) -> None:
    """A transient error puts the task back with a future ``run_after``; the job keeps going."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    policy = RetryPolicy(max_attempts=3, base=10.0, cap=100.0)
    with db.write() as session:
        outcome = fail_task(
            session, lease, error="engine hiccup", permanent=False, policy=policy, now=now
        )
    assert outcome is Outcome.RETRY
    task = task_row(db, lease.task_id)
    assert task.status == "queued"
    assert (task.lease_owner, task.lease_expires_at) == (None, None)
    assert task.error == "engine hiccup"
    assert later(now, 5.0) <= task.run_after <= later(now, 10.0)
    job = job_row(db, job_id)
    assert (job.status, job.error, job.finished_at) == ("processing", None, None)


def test_failing_every_attempt_fails_the_job_with_the_error(db: Database) -> None:
    """Once attempts reach ``max_attempts`` the task and its job fail with the last error."""
    now = utcnow()
    job_id = make_job(db, now, max_attempts=3)
    outcomes = []
    for attempt in range(1, 4):
        lease = must_claim(db, "w1", now)
        assert lease.attempts == attempt
        with db.write() as session:
            outcomes.append(
                fail_task(
                    session,
                    lease,
                    error=f"boom {attempt}",
                    permanent=False,
                    policy=POLICY,
                    now=now,
                )
            )
        now = later(now, 5)
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    job = job_row(db, job_id)
    assert (job.status, job.error) == ("failed", "boom 3")
    assert job.finished_at is not None
    assert task_row(db, lease.task_id).status == "failed"
    assert claim_one(db, "w1", later(now, 100)) is None


def test_permanent_failure_fails_the_job_at_once(db: Database) -> None:
    """A permanent error fails the job on the first attempt and cancels its other tasks."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        outcome = fail_task(
            session, lease, error="corrupt page", permanent=True, policy=POLICY, now=now
        )
    assert outcome is Outcome.FAILED
    job = job_row(db, job_id)
    assert (job.status, job.error, job.finished_at) == ("failed", "corrupt page", now)
    assert [(t.page, t.status) for t in task_rows(db, job_id)] == [
        (1, "failed"),
        (2, "cancelled"),
        (3, "cancelled"),
    ]
    assert claim_one(db, "w2", now) is None


def test_permanent_failure_fences_out_other_running_pages(db: Database) -> None:
    """A page running elsewhere when its job fails can no longer be completed."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    failing, running = must_claim(db, "w1", now), must_claim(db, "w2", now)
    with db.write() as session:
        fail_task(session, failing, error="bad", permanent=True, policy=POLICY, now=now)
    assert finish_page(db, running, now).outcome is Outcome.LOST
    job = job_row(db, job_id)
    assert (job.status, job.pages_done) == ("failed", 0)
    assert task_row(db, running.task_id).status == "cancelled"


def test_transient_failure_of_the_assembly_is_retried_by_any_worker(db: Database) -> None:
    """A failed assembly returns to the queue and another worker completes the job."""
    now = utcnow()
    job_id = make_job(db, now)
    assemble = finish_page(db, must_claim(db, "A", now), now).assemble
    assert assemble is not None
    with db.write() as session:
        outcome = fail_task(
            session, assemble, error="disk", permanent=False, policy=POLICY, now=now
        )
    assert outcome is Outcome.RETRY
    again = must_claim(db, "B", later(now, 5))
    assert (again.page, again.attempts) == (ASSEMBLE_PAGE, 2)
    assert finish_job(db, again, later(now, 5), tag="B") is Outcome.DONE
    assert job_row(db, job_id).status == "completed"
    assert len(result_rows(db, job_id)) == 2


@pytest.mark.parametrize("permanent", [False, True])
def test_failure_of_a_lost_lease_changes_nothing(db: Database, permanent: bool) -> None:
    """A stale lease whose task was reaped (not yet reclaimed) cannot fail it either."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "A", now)
    t1 = later(now, TTL + 1)
    reap(db, t1)
    with db.write() as session:
        outcome = fail_task(
            session, lease, error="late", permanent=permanent, policy=POLICY, now=t1
        )
    assert outcome is Outcome.LOST
    task = task_row(db, lease.task_id)
    assert task.status == "queued"
    assert task.error is not None and task.error.startswith("worker lost")
    assert job_row(db, job_id).status == "processing"
