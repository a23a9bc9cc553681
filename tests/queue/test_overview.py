"""The queue across owners: every owner's jobs and documents, and the admin's counts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from tests.queue.helpers import claim_one, later, make_job
from untxt.auth.users import create_user
from untxt.db import Database
from untxt.db.documents import list_all_documents
from untxt.db.models import JobRow
from untxt.db.types import utcnow
from untxt.queue.listing import JobFilter, list_job_page
from untxt.queue.overview import (
    OwnerUsage,
    Waiting,
    failure_reasons,
    oldest_waiting,
    queue_depth,
    queue_stats,
    throughput,
    usage_by_owner,
)


def test_stats_count_jobs_and_pages_by_status_across_owners(db: Database) -> None:
    now = utcnow()
    make_job(db, now, pages=3, owner="alice")
    make_job(db, later(now, 1), pages=1, owner="bob")
    assert claim_one(db, "w1", later(now, 2), ttl=10) is not None

    with db.read() as session:
        stats = queue_stats(session, now=later(now, 5))
        expired = queue_stats(session, now=later(now, 20))

    assert stats.jobs == {
        "queued": 1,
        "processing": 1,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
    }
    assert stats.tasks["queued"] == 3 and stats.tasks["processing"] == 1
    assert stats.oldest_queued_at == later(now, 1)  # alice's job is processing now
    assert stats.documents == 2
    assert stats.expired_leases == 0
    assert expired.expired_leases == 1  # the lease ran out 10 s after the claim


def test_an_empty_queue_has_zero_counts(db: Database) -> None:
    with db.read() as session:
        stats = queue_stats(session, now=utcnow())

    assert set(stats.jobs.values()) == {0} and set(stats.tasks.values()) == {0}
    assert stats.oldest_queued_at is None


def test_every_owners_jobs_and_documents_are_listed_newest_first(db: Database) -> None:
    now = utcnow()
    first = make_job(db, now, owner="alice")
    second = make_job(db, later(now, 1), owner="bob")
    third = make_job(db, later(now, 2), owner="local")

    with db.read() as session:
        everyone = JobFilter(owner=None)
        jobs = [job for job, _ in list_job_page(session, everyone, limit=2)]
        rest = [job for job, _ in list_job_page(session, everyone, limit=2, before=jobs[-1].id)]
        queued = list_job_page(session, JobFilter(owner=None, status="queued"))
        documents = list_all_documents(session)

    assert [j.id for j in jobs] == [third, second]
    assert [j.id for j in rest] == [first]
    assert len(queued) == 3
    assert {d.owner for d in documents} == {"alice", "bob", "local"}


def _finish(
    db: Database, job_id: str, status: str, at: datetime, *, pages: int = 1, error: str = ""
) -> None:
    """Mark a job finished at ``at``, as a worker would have left it."""
    with db.write() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(status=status, finished_at=at, pages_done=pages, error=error or None)
        )


def test_queue_depth_counts_jobs_by_status_then_priority(db: Database) -> None:
    now = utcnow()
    make_job(db, now, priority=9)
    make_job(db, later(now, 1), priority=9)
    make_job(db, later(now, 2), priority=2)
    _finish(db, make_job(db, later(now, 3), priority=5), "completed", later(now, 4))

    with db.read() as session:
        depth = queue_depth(session)

    assert depth == {
        "queued": {9: 2, 2: 1},
        "processing": {},
        "completed": {5: 1},
        "failed": {},
        "cancelled": {},
    }


def test_throughput_counts_jobs_and_pages_finished_in_each_bucket(db: Database) -> None:
    start = utcnow().replace(microsecond=0) - timedelta(hours=1)
    _finish(db, make_job(db, start, pages=3), "completed", later(start, 10), pages=3)
    _finish(db, make_job(db, start), "completed", later(start, 299))
    _finish(db, make_job(db, start), "failed", later(start, 300), error="broken")
    _finish(db, make_job(db, start), "completed", later(start, 3599), pages=2)
    _finish(db, make_job(db, start), "completed", later(start, -1))  # before the hour
    _finish(db, make_job(db, start), "completed", later(start, 3600))  # after it
    _finish(db, make_job(db, start), "cancelled", later(start, 20))

    with db.read() as session:
        buckets = throughput(session, start=start, width=timedelta(minutes=5), count=12)

    assert [b.start for b in buckets] == [later(start, 300 * i) for i in range(12)]
    assert [(b.completed, b.pages, b.failed) for b in buckets[:2]] == [(2, 4, 0), (0, 0, 1)]
    assert [(b.completed, b.pages, b.failed) for b in buckets[-1:]] == [(1, 2, 0)]
    assert sum(b.completed for b in buckets) == 3


def test_failure_reasons_are_grouped_most_frequent_first(db: Database) -> None:
    now = utcnow()
    for error, times in (("engine crashed", 1), ("corrupt page", 3), ("timed out", 2)):
        for _ in range(times):
            _finish(db, make_job(db, now), "failed", now, error=error)
    _finish(db, make_job(db, now), "failed", now - timedelta(days=2), error="long ago")

    with db.read() as session:
        reasons = failure_reasons(session, since=now - timedelta(hours=24))
        top = failure_reasons(session, since=now - timedelta(hours=24), limit=1)

    assert reasons == [("corrupt page", 3), ("timed out", 2), ("engine crashed", 1)]
    assert top == [("corrupt page", 3)]


def test_the_oldest_waiting_job_is_the_first_submitted_whatever_its_priority(
    db: Database,
) -> None:
    now = utcnow()
    with db.read() as session:
        assert oldest_waiting(session) is None
    first = make_job(db, now, priority=1)
    make_job(db, later(now, 1), priority=9)

    with db.read() as session:
        oldest = oldest_waiting(session)

    assert oldest == Waiting(id=first, created_at=now, priority=1)


def test_usage_tells_each_owners_jobs_pages_bytes_and_last_activity(db: Database) -> None:
    now = utcnow()
    done = make_job(db, now, pages=4, owner="alice")
    _finish(db, done, "completed", later(now, 5), pages=4)
    make_job(db, later(now, 10), owner="bob")
    with db.write() as session:
        user = create_user(session, email="carol@example.com", role="user", password=None)

    with db.read() as session:
        usage = {u.owner: u for u in usage_by_owner(session)}
        order = [u.owner for u in usage_by_owner(session)]

    assert usage["alice"] == OwnerUsage("alice", None, 1, 4, 1234, now)
    assert usage["bob"].jobs == 1 and usage["bob"].last_activity_at == later(now, 10)
    assert usage[user.id] == OwnerUsage(user.id, "carol@example.com", 0, 0, 0, None)
    assert order == ["bob", "alice", user.id]
