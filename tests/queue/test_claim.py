"""Claiming tasks and heartbeats: order, runnability, leases and the job's state."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.conftest import postgres_schema_url
from tests.queue.helpers import (
    POLICY,
    TTL,
    claim_one,
    job_row,
    later,
    make_job,
    must_claim,
    task_row,
)
from untxt.db import Database, upgrade
from untxt.db.types import utcnow
from untxt.queue import claim_many, fail_task, heartbeat, reap_expired


def test_claim_returns_none_when_nothing_is_queued(db: Database) -> None:
    """An empty queue yields no lease."""
    assert claim_one(db, "w1", utcnow()) is None


def test_claim_takes_higher_priority_first(db: Database) -> None:
    """Priority 10 beats 5 beats 0, whatever the submission order."""
    now = utcnow()
    low = make_job(db, now, priority=0)
    mid = make_job(db, now, priority=5)
    high = make_job(db, now, priority=10)
    claimed = [must_claim(db, "w1", now).job_id for _ in range(3)]
    assert claimed == [high, mid, low]
    assert claim_one(db, "w1", now) is None


def test_claim_is_fifo_within_a_priority(db: Database) -> None:
    """Jobs of equal priority are claimed in submission order."""
    now = utcnow()
    jobs = [make_job(db, now, priority=3) for _ in range(4)]
    assert [must_claim(db, "w1", now).job_id for _ in range(4)] == jobs


def test_claim_takes_pages_of_a_job_in_page_order(db: Database) -> None:
    """A multi-page job's pages are handed out 1, 2, 3, ..."""
    now = utcnow()
    job_id = make_job(db, now, pages=4)
    leases = [must_claim(db, "w1", now) for _ in range(4)]
    assert [lease.page for lease in leases] == [1, 2, 3, 4]
    assert {lease.job_id for lease in leases} == {job_id}


def test_task_with_future_run_after_waits_until_then(db: Database) -> None:
    """A retried task is invisible to claim before its ``run_after``."""
    now = utcnow()
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        fail_task(session, lease, error="flaky", permanent=False, policy=POLICY, now=now)
    run_after = task_row(db, lease.task_id).run_after
    assert run_after > now
    assert claim_one(db, "w2", later(run_after, -0.001)) is None
    again = must_claim(db, "w2", run_after)
    assert (again.job_id, again.task_id, again.attempts) == (job_id, lease.task_id, 2)


def test_claim_leases_the_task(db: Database) -> None:
    """The claimed task is processing, owned by the worker, expiring after the TTL."""
    now = utcnow()
    make_job(db, now)
    lease = must_claim(db, "w1", now, ttl=45.0)
    task = task_row(db, lease.task_id)
    assert task.status == "processing"
    assert task.lease_owner == "w1" == lease.owner
    assert task.lease_expires_at == later(now, 45.0)
    assert task.attempts == lease.attempts == 1
    assert lease.max_attempts == 3


def test_claim_marks_the_job_processing(db: Database) -> None:
    """Claiming a page starts the job: processing, ``started_at``, attempts."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    before = job_row(db, job_id)
    assert (before.status, before.started_at, before.attempts) == ("queued", None, 0)
    must_claim(db, "w1", now)
    job = job_row(db, job_id)
    assert job.status == "processing"
    assert job.started_at == now
    assert job.attempts == 1


def test_second_page_claim_keeps_the_first_started_at(db: Database) -> None:
    """``started_at`` records the first claim, not the latest."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    must_claim(db, "w1", now)
    must_claim(db, "w2", later(now, 5))
    assert job_row(db, job_id).started_at == now


def test_job_attempts_follow_the_highest_task_attempt(db: Database) -> None:
    """A reclaimed task raises the job's attempt count."""
    now = utcnow()
    job_id = make_job(db, now)
    must_claim(db, "w1", now)
    t1 = later(now, TTL + 1)
    with db.write() as session:
        assert reap_expired(session, policy=POLICY, now=t1) == 1
    must_claim(db, "w2", later(t1, 5))
    assert job_row(db, job_id).attempts == 2


def test_heartbeat_extends_the_lease(db: Database) -> None:
    """After a heartbeat the reaper leaves the task alone past the original expiry."""
    now = utcnow()
    make_job(db, now)
    lease = must_claim(db, "w1", now)
    beat = later(now, TTL - 1)
    with db.write() as session:
        assert heartbeat(session, lease, ttl=TTL, now=beat)
    assert task_row(db, lease.task_id).lease_expires_at == later(beat, TTL)
    with db.write() as session:
        assert reap_expired(session, policy=POLICY, now=later(now, TTL + 1)) == 0
    assert task_row(db, lease.task_id).status == "processing"


def test_heartbeat_after_reap_and_reclaim_returns_false(db: Database) -> None:
    """A worker whose lease was reaped and taken over learns it lost the task."""
    now = utcnow()
    make_job(db, now)
    lease_a = must_claim(db, "A", now)
    t1 = later(now, TTL + 1)
    with db.write() as session:
        assert reap_expired(session, policy=POLICY, now=t1) == 1
    with db.write() as session:
        assert not heartbeat(session, lease_a, ttl=TTL, now=t1)
    t2 = later(t1, 5)
    lease_b = must_claim(db, "B", t2)
    assert lease_b.task_id == lease_a.task_id
    with db.write() as session:
        assert not heartbeat(session, lease_a, ttl=TTL, now=t2)
        assert heartbeat(session, lease_b, ttl=TTL, now=t2)
    task = task_row(db, lease_a.task_id)
    assert (task.lease_owner, task.attempts) == ("B", 2)
    assert task.lease_expires_at == later(t2, TTL)


def test_same_worker_reclaiming_its_task_fences_its_old_lease(db: Database) -> None:
    """Fencing is on attempts too: the old lease of the same owner is dead."""
    now = utcnow()
    make_job(db, now)
    old = must_claim(db, "w1", now)
    t1 = later(now, TTL + 1)
    with db.write() as session:
        reap_expired(session, policy=POLICY, now=t1)
    new = must_claim(db, "w1", later(t1, 5))
    assert (new.task_id, new.owner, new.attempts) == (old.task_id, "w1", 2)
    with db.write() as session:
        assert not heartbeat(session, old, ttl=TTL, now=later(t1, 5))
        assert heartbeat(session, new, ttl=TTL, now=later(t1, 5))


@pytest.mark.postgres
def test_a_claim_on_postgresql_reads_a_few_index_entries_however_many_wait() -> None:
    """On a new database the planner has no statistics; the pick walks the claim index
    anyway, rather than reading every queued task and sorting them, and the update
    reads no more of the table than the tasks it takes."""
    for url in postgres_schema_url():
        db = Database(url)
        upgrade(db)
        now = utcnow()
        make_job(db, now, pages=3000)
        # Read the index's counters in the claim's own transaction: they are per backend.
        with db.write() as session:
            claim_many(session, owner="w1", ttl=TTL, now=now, limit=5)
            read, table_read = session.execute(
                text(
                    "SELECT pg_stat_get_xact_tuples_returned('ix_tasks_claim'::regclass),"
                    " pg_stat_get_xact_tuples_returned('tasks'::regclass)"
                )
            ).one()
        db.dispose()
        # The pick reads the five it takes, and the update goes to where they lie; the
        # plans they replaced read all 3,000 entries, and then the whole table.
        assert read <= 10
        assert table_read <= 10, table_read
