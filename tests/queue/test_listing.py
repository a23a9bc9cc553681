"""Job lists: pages with file names, search by name, counts and queue positions."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from sqlalchemy import Select, insert, update
from sqlalchemy.orm import Session

from tests.queue.helpers import claim_one, later, make_job, must_claim
from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow, JobRow, TaskRow
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue.jobs import enqueue_job
from untxt.queue.listing import (
    JobFilter,
    count_jobs,
    get_job_with_filename,
    job_page_query,
    list_job_page,
    queue_positions,
)


def _job_named(db: Database, now: datetime, filename: str, *, owner: str = "alice") -> str:
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=owner,
            sha256=uuid.uuid4().hex * 2,
            filename=filename,
            media_type="image/png",
            size=10,
            pages=1,
            now=now,
        )
        return enqueue_job(
            session,
            owner=owner,
            document=document,
            options=JobOptions(),
            max_attempts=3,
            now=now,
        ).id


def _positions(db: Database, job_ids: list[str], now: datetime) -> dict[str, int]:
    with db.read() as session:
        return queue_positions(session, job_ids, now=now)


def test_queue_position_counts_runnable_pages_claimed_before_the_job(db: Database) -> None:
    now = utcnow()
    old_low = make_job(db, now, priority=3)
    old_mid = make_job(db, later(now, 1), pages=2, priority=5)
    new_high = make_job(db, later(now, 2), priority=9)
    new_mid = make_job(db, later(now, 3), priority=5)

    positions = _positions(db, [old_low, old_mid, new_high, new_mid], later(now, 4))

    # Claim order: new_high, old_mid's two pages, new_mid, old_low.
    assert positions == {new_high: 0, old_mid: 1, new_mid: 3, old_low: 4}
    # One job alone (a client polling it) is counted another way, to the same answer.
    for job, position in positions.items():
        assert _positions(db, [job], later(now, 4)) == {job: position}


def test_the_job_at_position_zero_is_the_one_claimed_next(db: Database) -> None:
    now = utcnow()
    jobs = [make_job(db, later(now, i), priority=i % 3) for i in range(6)]

    positions = _positions(db, jobs, later(now, 10))
    first = must_claim(db, "w1", later(now, 10))

    assert positions[first.job_id] == 0
    assert sorted(positions.values()) == list(range(6))


def test_pages_waiting_for_a_retry_are_not_counted_ahead(db: Database) -> None:
    now = utcnow()
    waiting = make_job(db, now, priority=5)
    behind = make_job(db, later(now, 1), priority=5)
    with db.write() as session:
        session.execute(
            update(TaskRow).where(TaskRow.job_id == waiting).values(run_after=later(now, 60))
        )

    positions = _positions(db, [waiting, behind], later(now, 2))

    assert positions[behind] == 0
    assert _positions(db, [behind], later(now, 2)) == {behind: 0}
    # Not runnable yet, it keeps its place in the claim order for when it is.
    assert positions[waiting] == 0


def test_jobs_without_queued_pages_have_no_position(db: Database) -> None:
    now = utcnow()
    running = make_job(db, now)
    queued = make_job(db, later(now, 1))
    assert claim_one(db, "w1", later(now, 2)) is not None

    assert _positions(db, [running, queued], later(now, 3)) == {queued: 0}
    assert _positions(db, [running], later(now, 3)) == {}
    assert _positions(db, [], now) == {}


def test_a_page_of_jobs_carries_file_names_newest_first(db: Database) -> None:
    now = utcnow()
    first = _job_named(db, now, "Invoice-March.pdf")
    second = _job_named(db, later(now, 1), "receipt.png")
    _job_named(db, later(now, 2), "invoice-april.PDF", owner="bob")

    with db.read() as session:
        mine = list_job_page(session, JobFilter(owner="alice"))
        everyone = list_job_page(session, JobFilter(owner=None), limit=2)
        job, filename = get_job_with_filename(session, owner="alice", job_id=first)

    assert [(j.id, name) for j, name in mine] == [
        (second, "receipt.png"),
        (first, "Invoice-March.pdf"),
    ]
    assert [name for _, name in everyone] == ["invoice-april.PDF", "receipt.png"]
    assert (job.id, filename) == (first, "Invoice-March.pdf")


def test_search_matches_a_piece_of_the_file_name_in_any_case(db: Database) -> None:
    now = utcnow()
    march = _job_named(db, now, "Invoice-March.pdf")
    _job_named(db, later(now, 1), "receipt.png")
    april = _job_named(db, later(now, 2), "invoice-april.PDF")
    literal = _job_named(db, later(now, 3), "100%_done.png")
    _job_named(db, later(now, 4), "1000 done.png")

    with db.read() as session:
        found = [j.id for j, _ in list_job_page(session, JobFilter(owner="alice", q="INVOICE"))]
        wildcards = [j.id for j, _ in list_job_page(session, JobFilter(owner="alice", q="0%_"))]
        counted = count_jobs(session, JobFilter(owner="alice", q="invoice"))

    assert found == [april, march]
    # LIKE's wildcards in the search are plain characters.
    assert wildcards == [literal]
    assert counted == 2


def test_count_covers_every_page_and_the_status_filter(db: Database) -> None:
    now = utcnow()
    jobs = [make_job(db, later(now, i)) for i in range(5)]
    assert claim_one(db, "w1", later(now, 6)) is not None

    with db.read() as session:
        page = list_job_page(session, JobFilter(owner="alice"), limit=2)
        rest = list_job_page(session, JobFilter(owner="alice"), limit=2, before=page[-1][0].id)
        assert count_jobs(session, JobFilter(owner="alice")) == 5
        assert count_jobs(session, JobFilter(owner="alice", status="queued")) == 4
        assert count_jobs(session, JobFilter(owner="bob")) == 0

    assert [j.id for j, _ in page + rest] == jobs[::-1][:4]


def _many_jobs(db: Database, count: int, now: datetime) -> None:
    """``count`` completed jobs, each on a document of its own; every fourth is alice's."""
    documents, jobs = [], []
    for i in range(count):
        owner = "alice" if i % 4 == 0 else f"user{i % 4}"
        documents.append(
            {
                "id": f"doc_{i:06d}",
                "owner": owner,
                "sha256": f"{i:064d}",
                "filename": f"scan-{i}.png",
                "media_type": "image/png",
                "size": 10,
                "pages": 1,
                "blob_key": f"documents/{i}",
                "created_at": now,
            }
        )
        jobs.append(
            {
                "id": f"job_{i:06d}",
                "owner": owner,
                "document_id": f"doc_{i:06d}",
                "status": "completed",
                "priority": 5,
                "options": {},
                "pages_total": 1,
                "pages_done": 1,
                "attempts": 1,
                "cancel_requested": False,
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.write() as session:
        session.execute(insert(DocumentRow), documents)
        session.execute(insert(JobRow), jobs)


def _plan(session: Session, query: Select[JobRow, str]) -> str:
    connection = session.connection()
    sql = query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        return " ".join(str(row[-1]) for row in rows)
    connection.exec_driver_sql("ANALYZE jobs")
    connection.exec_driver_sql("ANALYZE documents")
    return " ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def test_a_listing_of_10000_jobs_walks_the_owner_id_index_and_stays_fast(db: Database) -> None:
    """Newest first: read from (owner, id) backwards and stopped at the page's end, never
    sorted; a search by name or a count over every job still answers at once."""
    _many_jobs(db, 10_000, utcnow())
    with db.read() as session:
        plan = _plan(session, job_page_query(JobFilter(owner="alice"), before="job_009000"))
        started = time.perf_counter()
        page = list_job_page(session, JobFilter(owner="alice"), before="job_009000")
        searched = list_job_page(session, JobFilter(owner="alice", q="SCAN-12"))
        total = count_jobs(session, JobFilter(owner="alice", q="scan"))
        elapsed = time.perf_counter() - started

    if db.engine.dialect.name == "sqlite":
        assert "ix_jobs_owner_id" in plan, plan
    else:
        # PostgreSQL may walk the primary key instead when one owner has many of the jobs.
        assert "Index Scan Backward" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
    assert [j.id for j, _ in page][:2] == ["job_008996", "job_008992"]
    assert [name for _, name in searched][:2] == ["scan-1296.png", "scan-1292.png"]
    assert total == 2_500
    assert elapsed < 1.0, elapsed


def test_positions_are_left_out_for_ids_of_no_job(db: Database) -> None:
    now = utcnow()
    job = make_job(db, now)

    assert _positions(db, [job, "job_missing"], later(now, 1)) == {job: 0}
