"""The reaper: expired leases run again with backoff, or fail their job when tries are used up."""

from __future__ import annotations

from tests.queue.helpers import (
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
from untxt.db.types import utcnow
from untxt.queue import Outcome, RetryPolicy, heartbeat


def test_job_whose_worker_dies_is_run_again_and_completes_once(db: Database) -> None:
    """Worker A dies holding the page; B runs it again; A's late completion is rejected."""
    now = utcnow()
    job_id = make_job(db, now)
    lease_a = must_claim(db, "A", now)
    assert lease_a.attempts == 1

    # A never finishes; time moves past the TTL and the reaper returns the task.
    t1 = later(now, TTL + 1)
    assert reap(db, t1) == 1
    assert task_row(db, lease_a.task_id).status == "queued"

    t2 = later(t1, 5)
    lease_b = must_claim(db, "B", t2)
    assert (lease_b.task_id, lease_b.attempts) == (lease_a.task_id, 2)
    done_b = finish_page(db, lease_b, t2)
    assert done_b.outcome is Outcome.ASSEMBLE
    assert done_b.assemble is not None
    assert finish_job(db, done_b.assemble, t2, tag="B") is Outcome.DONE

    # A wakes up and tries to finish: every write is refused.
    assert finish_page(db, lease_a, later(t2, 1)).outcome is Outcome.LOST

    job = job_row(db, job_id)
    assert (job.status, job.pages_done, job.attempts) == ("completed", 1, 2)
    assert [(r.format, r.blob_key) for r in result_rows(db, job_id)] == [
        ("json", "results/B/json"),
        ("text", "results/B/text"),
    ]
    pages = [t for t in task_rows(db, job_id) if t.page > 0]
    assert [(t.status, t.result_key) for t in pages] == [("done", f"pages/{job_id}/1/2")]
    assert claim_one(db, "C", later(t2, 1000)) is None


def test_reap_returns_expired_task_to_the_queue_with_backoff(db: Database) -> None:
    """An expired lease is cleared, the task queued after a delay, the reason recorded."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    policy = RetryPolicy(max_attempts=3, base=10.0, cap=100.0)
    t1 = later(now, TTL + 1)
    assert reap(db, t1, policy) == 1
    task = task_row(db, lease.task_id)
    assert task.status == "queued"
    assert (task.lease_owner, task.lease_expires_at) == (None, None)
    assert later(t1, 5.0) <= task.run_after <= later(t1, 10.0)
    assert task.error == "worker lost: the lease expired (attempt 1 of 3)"
    assert job_row(db, job_id).status == "processing"
    assert claim_one(db, "w2", t1) is None


def test_reap_leaves_unexpired_leases_alone(db: Database) -> None:
    """A lease is reaped only once its expiry has passed."""
    now = utcnow()
    make_job(db, now)
    lease = must_claim(db, "w1", now)
    assert reap(db, later(now, TTL - 1)) == 0
    assert reap(db, later(now, TTL)) == 0
    assert task_row(db, lease.task_id).status == "processing"
    assert reap(db, later(now, TTL + 0.001)) == 1


def test_reap_counts_only_expired_tasks(db: Database) -> None:
    """With several leases out, only the expired ones are reaped."""
    now = utcnow()
    make_job(db, now, pages=3)
    short = [must_claim(db, "w1", now, ttl=5) for _ in range(2)]
    long = must_claim(db, "w2", now, ttl=60)
    assert reap(db, later(now, 10)) == 2
    assert [task_row(db, lease.task_id).status for lease in short] == ["queued", "queued"]
    assert task_row(db, long.task_id).status == "processing"


def test_reap_past_max_attempts_fails_the_job_as_worker_lost(db: Database) -> None:
    """When the last try's worker is lost too, the job fails naming the page and the cause."""
    now = utcnow()
    job_id = make_job(db, now, pages=2, max_attempts=2)
    for attempt in (1, 2):
        lease = must_claim(db, "w1", now)
        assert (lease.page, lease.attempts) == (1, attempt)
        now = later(now, TTL + 1)
        assert reap(db, now) == 1
        now = later(now, 5)
    job = job_row(db, job_id)
    assert job.status == "failed"
    assert job.error == "page 1: worker lost: the lease expired (attempt 2 of 2)"
    assert job.finished_at is not None
    assert [(t.page, t.status) for t in task_rows(db, job_id)] == [(1, "failed"), (2, "cancelled")]
    assert claim_one(db, "w2", later(now, 1000)) is None


def test_reap_of_the_last_assembly_attempt_fails_the_job(db: Database) -> None:
    """A lost assembler on its last try fails the job with an assembling reason."""
    now = utcnow()
    job_id = make_job(db, now, max_attempts=1)
    assemble = finish_page(db, must_claim(db, "w1", now), now).assemble
    assert assemble is not None
    assert reap(db, later(now, TTL + 1)) == 1
    job = job_row(db, job_id)
    assert job.status == "failed"
    assert job.error == "assembling the result: worker lost: the lease expired (attempt 1 of 1)"
    assert result_rows(db, job_id) == []


def test_heartbeat_that_lands_first_keeps_the_task(db: Database) -> None:
    """A lease renewed just before the reaper runs is not reaped."""
    now = utcnow()
    make_job(db, now)
    lease = must_claim(db, "w1", now, ttl=10)
    with db.write() as session:
        assert heartbeat(session, lease, ttl=10, now=later(now, 9))
    assert reap(db, later(now, 11)) == 0
    assert reap(db, later(now, 20)) == 1


def test_reaped_task_runs_again_only_after_its_backoff(db: Database) -> None:
    """The reaped task's ``run_after`` gates the next claim."""
    now = utcnow()
    make_job(db, now)
    lease = must_claim(db, "w1", now)
    t1 = later(now, TTL + 1)
    reap(db, t1)
    run_after = task_row(db, lease.task_id).run_after
    assert run_after > t1
    assert claim_one(db, "w2", later(run_after, -0.001)) is None
    assert must_claim(db, "w2", run_after).attempts == 2
