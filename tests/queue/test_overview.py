"""The queue across owners: every owner's jobs and documents, and the admin's counts."""

from __future__ import annotations

from tests.queue.helpers import claim_one, later, make_job
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue.overview import list_all_documents, list_all_jobs, queue_stats


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
        jobs = list_all_jobs(session, limit=2)
        rest = list_all_jobs(session, limit=2, before=jobs[-1].id)
        queued = list_all_jobs(session, status="queued")
        documents = list_all_documents(session)

    assert [j.id for j in jobs] == [third, second]
    assert [j.id for j in rest] == [first]
    assert len(queued) == 3
    assert {d.owner for d in documents} == {"alice", "bob", "local"}
