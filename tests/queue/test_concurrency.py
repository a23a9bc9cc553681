"""Concurrent claimers: every task is claimed exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import func, select

from tests.queue.helpers import TTL, finish_job, finish_page, job_row, make_job
from untxt.db import Database
from untxt.db.models import TaskRow
from untxt.db.types import utcnow
from untxt.queue import Lease, Outcome, claim

THREADS = 8
T = TypeVar("T")


def _run_threads(work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` on THREADS threads released together; re-raise any thread's error."""
    barrier = threading.Barrier(THREADS)

    def start(i: int) -> T:
        barrier.wait(timeout=10)
        return work(i)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(start, i) for i in range(THREADS)]
        return [future.result(timeout=60) for future in futures]


def _queued(db: Database) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count()).select_from(TaskRow).where(TaskRow.status == "queued")
            )
            or 0
        )


def test_concurrent_claimers_claim_every_task_exactly_once(db: Database) -> None:
    """Eight threads claiming in a loop share forty tasks with no task claimed twice."""
    now = utcnow()
    jobs = {make_job(db, now) for _ in range(40)}

    def claimer(i: int) -> list[Lease]:
        mine: list[Lease] = []
        while True:
            with db.write() as session:
                lease = claim(session, owner=f"w{i}", ttl=TTL, now=now)
            if lease is None:
                return mine
            mine.append(lease)
            # A worker works between claims; without a pause, the thread that holds the
            # write lock can take it back before a waiting one wakes, again and again.
            time.sleep(0.001)

    leases = [lease for mine in _run_threads(claimer) for lease in mine]
    counts = Counter(lease.task_id for lease in leases)
    assert len(counts) == 40
    assert max(counts.values()) == 1
    assert {lease.job_id for lease in leases} == jobs
    assert {lease.attempts for lease in leases} == {1}
    assert len({lease.owner for lease in leases}) > 1, "the claimers did not interleave"
    assert _queued(db) == 0
    with db.read() as session:
        owners = {
            row.id: row.lease_owner
            for row in session.execute(select(TaskRow.id, TaskRow.lease_owner))
        }
    assert owners == {lease.task_id: lease.owner for lease in leases}


def test_concurrent_workers_complete_multi_page_jobs_assembling_each_once(db: Database) -> None:
    """Threads racing through pages of shared jobs hand out one assembly per job."""
    now = utcnow()
    jobs = [make_job(db, now, pages=6) for _ in range(4)]

    def worker(i: int) -> list[tuple[str, Outcome]]:
        outcomes: list[tuple[str, Outcome]] = []
        while True:
            with db.write() as session:
                lease = claim(session, owner=f"w{i}", ttl=TTL, now=now)
            if lease is None:
                return outcomes
            done = finish_page(db, lease, now)
            outcomes.append((lease.job_id, done.outcome))
            if done.assemble is not None:
                outcomes.append((lease.job_id, finish_job(db, done.assemble, now)))

    outcomes = [item for mine in _run_threads(worker) for item in mine]
    assert Counter(outcome for _, outcome in outcomes) == {
        Outcome.DONE: 4 * 5 + 4,
        Outcome.ASSEMBLE: 4,
    }
    assert sorted(job for job, outcome in outcomes if outcome is Outcome.ASSEMBLE) == sorted(jobs)
    for job_id in jobs:
        job = job_row(db, job_id)
        assert (job.status, job.pages_done) == ("completed", 6)
