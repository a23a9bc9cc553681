"""Claiming many tasks and completing many one-page jobs at once: the promises of the
queue one by one, kept in a few statements."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg
import pytest

from tests.queue.helpers import (
    OWNER,
    POLICY,
    TTL,
    claim_one,
    fanned_out,
    job_row,
    later,
    make_job,
    must_claim,
    reap,
    result_rows,
    results_for,
    subscribe,
    task_row,
)
from untxt.db import Database
from untxt.db.models import EventRow
from untxt.db.types import utcnow
from untxt.queue import (
    Finished,
    Lease,
    Outcome,
    claim_many,
    complete_only_pages,
)
from untxt.queue.jobs import cancel_job
from untxt.queue.outbox import EVENTS_CHANNEL, on_commit, read_events, record_event


def _claim(db: Database, worker: str, now: datetime, limit: int) -> list[Lease]:
    with db.write() as session:
        return claim_many(session, owner=worker, ttl=TTL, now=now, limit=limit)


def _complete(db: Database, leases: list[Lease], now: datetime) -> dict[int, Outcome]:
    finished = [Finished(lease, results_for(lease.job_id)) for lease in leases]
    with db.write() as session:
        return complete_only_pages(session, finished, now=now)


def _types(db: Database, job_id: str) -> list[str]:
    with db.read() as session:
        return [e.type for e in read_events(session, owner=None, job_id=job_id)]


def test_claim_many_takes_the_best_tasks_in_priority_order(db: Database) -> None:
    """Of five jobs, a claim of three takes the three best, best first, and leaves two."""
    now = utcnow()
    low = [make_job(db, now, priority=0) for _ in range(2)]
    high = make_job(db, now, priority=9)
    mid = [make_job(db, now, priority=5) for _ in range(2)]
    leases = _claim(db, "w1", now, 3)
    assert [lease.job_id for lease in leases] == [high, *mid]
    assert all(lease.owner == "w1" and lease.attempts == 1 for lease in leases)
    assert [lease.job_id for lease in _claim(db, "w2", now, 10)] == low
    assert _claim(db, "w3", now, 10) == []


def test_claim_many_starts_each_job_once_with_one_processing_event(db: Database) -> None:
    """Two pages of one job claimed together start it once: one processing event."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    t1 = later(now, 1)
    leases = _claim(db, "w1", t1, 5)
    assert sorted(lease.page for lease in leases) == [1, 2]
    job = job_row(db, job_id)
    assert (job.status, job.started_at, job.attempts) == ("processing", t1, 1)
    assert _types(db, job_id) == ["job.queued", "job.processing"]


def test_claim_many_raises_the_attempts_of_a_retried_job(db: Database) -> None:
    """A task run again after its lease expired counts as the job's second attempt."""
    now = utcnow()
    job_id = make_job(db, now)
    must_claim(db, "w1", now, ttl=1.0)
    t1 = later(now, 5)
    assert reap(db, t1) == 1
    t2 = later(t1, 10)
    [lease] = _claim(db, "w2", t2, 5)
    assert lease.attempts == 2
    assert job_row(db, job_id).attempts == 2
    assert _types(db, job_id).count("job.processing") == 1


def test_complete_only_pages_completes_each_job_with_its_results(db: Database) -> None:
    """Each job ends completed with its own results and one progress and one final event."""
    now = utcnow()
    jobs = [make_job(db, now) for _ in range(4)]
    leases = _claim(db, "w1", now, 10)
    t1 = later(now, 2)
    outcomes = _complete(db, leases, t1)
    assert outcomes == {lease.task_id: Outcome.DONE for lease in leases}
    for job_id in jobs:
        job = job_row(db, job_id)
        assert (job.status, job.pages_done, job.finished_at) == ("completed", 1, t1)
        assert [r.blob_key for r in result_rows(db, job_id)] == [
            f"results/{job_id}/json",
            f"results/{job_id}/text",
        ]
        assert _types(db, job_id) == [
            "job.queued",
            "job.processing",
            "job.progress",
            "job.completed",
        ]
    with db.read() as session:
        [completed] = [
            e for e in read_events(session, owner=None, job_id=jobs[0]) if e.type == "job.completed"
        ]
    assert set(completed.data["data"]["results"]) == {"json", "text"}


def test_leases_that_expired_change_nothing(db: Database) -> None:
    """Leases reaped meanwhile are LOST: the task another worker took stays its own, the
    one queued again stays queued, and no results are stored."""
    now = utcnow()
    taken_job, queued_job = make_job(db, now), make_job(db, now)
    with db.write() as session:
        leases = claim_many(session, owner="w1", ttl=1.0, now=now, limit=2)
    t1 = later(now, 5)
    assert reap(db, t1) == 2
    t2 = later(t1, 10)
    again = must_claim(db, "w2", t2)
    assert again.job_id == taken_job
    assert _complete(db, leases, t2) == {lease.task_id: Outcome.LOST for lease in leases}
    assert task_row(db, again.task_id).lease_owner == "w2"
    assert job_row(db, taken_job).status == "processing"
    assert job_row(db, queued_job).status == "processing"  # started by w1, then reaped
    assert claim_one(db, "w3", t2) is not None
    assert result_rows(db, taken_job) == result_rows(db, queued_job) == []


def test_a_batch_of_fresh_and_stale_leases_completes_only_the_fresh(db: Database) -> None:
    """Of two leases, the one whose attempt moved on is LOST, the other DONE."""
    now = utcnow()
    stale_job = make_job(db, now)
    [stale] = _claim(db, "w1", now, 1)
    fresh_job = make_job(db, now)
    t1 = later(now, TTL + 1)
    assert reap(db, t1) == 1
    t2 = later(t1, 10)
    leases = _claim(db, "w1", t2, 2)  # the same worker takes both again
    assert {lease.job_id for lease in leases} == {stale_job, fresh_job}
    [fresh] = [lease for lease in leases if lease.job_id == fresh_job]
    outcomes = _complete(db, [stale, fresh], t2)
    assert outcomes == {stale.task_id: Outcome.LOST, fresh.task_id: Outcome.DONE}
    assert job_row(db, fresh_job).status == "completed"
    assert job_row(db, stale_job).status == "processing"


def test_a_cancel_asked_meanwhile_cancels_that_job_only(db: Database) -> None:
    """A job whose cancel was asked while its page ran ends cancelled, without results."""
    now = utcnow()
    cancelled, completed = make_job(db, now), make_job(db, now)
    leases = _claim(db, "w1", now, 2)
    with db.write() as session:
        cancel_job(session, job_id=cancelled, owner=OWNER, now=now)
    outcomes = _complete(db, leases, later(now, 1))
    by_job = {lease.job_id: outcomes[lease.task_id] for lease in leases}
    assert by_job == {cancelled: Outcome.CANCELLED, completed: Outcome.DONE}
    assert job_row(db, cancelled).status == "cancelled"
    assert result_rows(db, cancelled) == []
    assert _types(db, cancelled)[-1] == "job.cancelled"
    assert _types(db, completed)[-1] == "job.completed"


def test_a_job_that_failed_meanwhile_is_not_completed(db: Database) -> None:
    """A job the reaper failed for good (its attempts spent) stays failed."""
    now = utcnow()
    job_id = make_job(db, now, max_attempts=1)
    with db.write() as session:
        [lease] = claim_many(session, owner="w1", ttl=1.0, now=now, limit=1)
    t1 = later(now, 5)
    assert reap(db, t1, POLICY) == 1
    assert job_row(db, job_id).status == "failed"
    assert _complete(db, [lease], t1) == {lease.task_id: Outcome.LOST}
    assert job_row(db, job_id).status == "failed"


def _rebuilt(db: Database, job_id: str, type: str, now: datetime) -> dict[str, Any]:
    """The payload :func:`record_event` builds in Python from the job row as it is."""
    with db.write() as session:
        event = session.get(EventRow, record_event(session, type=type, job_id=job_id, now=now))
        assert event is not None
        data: dict[str, Any] = event.data
        session.rollback()
    return data


@pytest.mark.parametrize("fraction", [0, 250_001], ids=["whole second", "fraction"])
def test_a_batch_writes_the_payloads_record_event_builds(db: Database, fraction: int) -> None:
    """The events of a batch's claim and completion carry the payloads that Python builds
    from the job row (on PostgreSQL the statements build them), whole-second and
    fractional times alike; the progress event is the completed job still processing."""
    now = utcnow().replace(microsecond=fraction)
    job_id = make_job(db, now)
    t1, t2 = later(now, 1.5), later(now, 3)
    leases = _claim(db, "w1", t1, 5)
    processing = _rebuilt(db, job_id, "job.processing", t1)
    _complete(db, leases, t2)
    completed = _rebuilt(db, job_id, "job.completed", t2)
    progress = {**completed, "type": "job.progress"}
    progress["data"] = {k: v for k, v in completed["data"].items() if k != "results"}
    progress["data"]["status"] = "processing"
    with db.read() as session:
        written = {e.type: e.data for e in read_events(session, owner=None, job_id=job_id)}
    assert written["job.processing"] == processing
    assert written["job.progress"] == progress
    assert written["job.completed"] == completed
    assert set(completed["data"]["results"]) == {"json", "text"}


def test_a_batch_routes_each_event_to_subscriptions_and_the_jobs_webhook(db: Database) -> None:
    """Every event of a job claimed and completed in a batch goes to the owner's
    subscription and to the job's own webhook, in the order the events were written."""
    now = utcnow()
    every = subscribe(db)
    hook = "https://hooks.example.com/job"
    make_job(db, now, webhook_url=hook)
    _complete(db, _claim(db, "w1", later(now, 1), 5), later(now, 2))
    url = f"https://{OWNER}.example.com/hook"
    assert fanned_out(db) == [
        delivery
        for type in ("queued", "processing", "progress", "completed")
        for delivery in [(every, f"job.{type}", url), (None, f"job.{type}", hook)]
    ]


def test_a_batch_announces_the_last_event_of_its_claim_and_of_its_completion(
    db: Database,
) -> None:
    """Readers in this process are told of the last event each of a batch's
    transactions wrote; on PostgreSQL listeners get one notice of it, and none of the
    events before it."""
    now = utcnow()
    jobs = [make_job(db, now) for _ in range(3)]
    listener = None
    if db.dialect == "postgresql":
        listener = psycopg.connect(db.conninfo(), autocommit=True)
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")
    told: list[int] = []
    stop = on_commit(told.append)
    try:
        _complete(db, _claim(db, "w1", later(now, 1), 5), later(now, 2))
        notices = [] if listener is None else list(listener.notifies(timeout=0.5))
    finally:
        stop()
        if listener is not None:
            listener.close()
    last: dict[str, int] = {}
    written: set[int] = set()
    with db.read() as session:
        for job_id in jobs:
            for e in read_events(session, owner=None, job_id=job_id):
                last[e.type] = max(e.id, last.get(e.type, 0))
                if e.type != "job.queued":
                    written.add(e.id)
    assert told == [last["job.processing"], last["job.completed"]]
    if listener is not None:
        # The channel is database-wide (other test schemas share it): look for ours.
        ours = {int(n.payload) for n in notices} & written
        assert ours == {last["job.processing"], last["job.completed"]}


def test_complete_only_pages_refuses_jobs_of_several_pages(db: Database) -> None:
    """The batch path is for one-page jobs: a page of a longer job is an error, and the
    transaction that found it writes nothing."""
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    leases = _claim(db, "w1", now, 1)
    with pytest.raises(ValueError, match="not one"):
        _complete(db, leases, now)
    assert job_row(db, job_id).pages_done == 0
    assert claim_one(db, "w2", now) is not None


def test_concurrent_batch_claimers_take_every_task_once(db: Database) -> None:
    """Four workers claiming five at a time share sixty tasks, none twice."""
    now = utcnow()
    jobs = {make_job(db, now) for _ in range(60)}
    barrier = threading.Barrier(4)

    def claimer(i: int) -> list[Lease]:
        barrier.wait(timeout=10)
        mine: list[Lease] = []
        while batch := _claim(db, f"w{i}", now, 5):
            mine.extend(batch)
            assert set(_complete(db, batch, now).values()) == {Outcome.DONE}
        return mine

    with ThreadPoolExecutor(max_workers=4) as pool:
        leases = [
            lease for f in [pool.submit(claimer, i) for i in range(4)] for lease in f.result(60)
        ]
    assert Counter(lease.job_id for lease in leases) == Counter(jobs)
    assert {job_row(db, job_id).status for job_id in jobs} == {"completed"}
