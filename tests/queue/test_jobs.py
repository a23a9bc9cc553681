"""Jobs as clients see them: enqueue, get, list, delete, results and page keys."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from tests.queue.helpers import (
    OWNER,
    finish_job,
    finish_page,
    job_row,
    make_job,
    must_claim,
    png_document,
    task_rows,
)
from untxt.db import Database
from untxt.db.models import JobRow, ResultRow, TaskRow
from untxt.db.templates import templates_digest
from untxt.db.types import utcnow
from untxt.errors import ConflictError, NotFoundError
from untxt.options import JobOptions
from untxt.queue.cache import options_fingerprint
from untxt.queue.jobs import (
    delete_job,
    enqueue_planned,
    get_job,
    get_job_document,
    get_result,
    plan_job,
)
from untxt.queue.listing import JobFilter, list_job_page
from untxt.queue.work import page_result_keys
from untxt.tracing import CARRIED_KEY


def _complete(db: Database, job_id: str, pages: int = 1) -> None:
    """Run every page of the only queued job and assemble it."""
    now = utcnow()
    leases = [must_claim(db, "w1", now) for _ in range(pages)]
    assert {lease.job_id for lease in leases} == {job_id}
    assemble = None
    for lease in leases:
        assemble = finish_page(db, lease, now).assemble
    assert assemble is not None
    finish_job(db, assemble, now)


def test_enqueue_creates_one_queued_task_per_page(db: Database) -> None:
    """A three-page job gets pages 1..3, with the job's priority and try allowance."""
    now = utcnow()
    job_id = make_job(db, now, pages=3, priority=7, max_attempts=4)
    job = job_row(db, job_id)
    assert (job.status, job.priority, job.pages_total, job.pages_done) == ("queued", 7, 3, 0)
    assert job.options["priority"] == 7
    tasks = task_rows(db, job_id)
    assert [t.page for t in tasks] == [1, 2, 3]
    assert {(t.status, t.priority, t.max_attempts, t.attempts) for t in tasks} == {
        ("queued", 7, 4, 0)
    }
    assert {t.run_after for t in tasks} == {now}


@pytest.mark.parametrize("extract", [False, True], ids=["ocr", "fields"])
def test_a_job_planned_before_its_transaction_is_stored_as_planned(
    db: Database, extract: bool
) -> None:
    """The id, stored options and fingerprint are decided before the transaction; only a
    job that extracts fields leaves its fingerprint to it, for it depends on the
    owner's templates."""
    now = utcnow()
    document = png_document(db, now, sha256="ab" * 32)
    options = JobOptions(extract=["auto"] if extract else [], priority=3)
    planned = plan_job(options, engine_version="9.9", carried={"request_id": "req-1"})
    assert (planned.fingerprint is None) == extract
    with db.write() as session:
        templates = templates_digest(session, owner=OWNER) if extract else None
        job = enqueue_planned(
            session, planned, owner=OWNER, document=document, max_attempts=3, now=now
        )
    stored = job_row(db, planned.id)
    assert job.id == stored.id == planned.id
    assert stored.options_fingerprint == options_fingerprint(
        options, engine_version="9.9", templates=templates
    )
    assert stored.options[CARRIED_KEY] == {"request_id": "req-1"}
    assert (stored.status, stored.priority) == ("queued", 3)


def test_get_job_returns_the_owners_job(db: Database) -> None:
    """The owner reads their job back."""
    job_id = make_job(db, utcnow())
    with db.read() as session:
        job = get_job(session, owner=OWNER, job_id=job_id)
    assert (job.id, job.owner) == (job_id, OWNER)


def test_get_job_of_another_owner_is_not_found(db: Database) -> None:
    """Another owner's job is indistinguishable from a missing one."""
    job_id = make_job(db, utcnow(), owner="bob")
    with db.read() as session, pytest.raises(NotFoundError):
        get_job(session, owner=OWNER, job_id=job_id)
    with db.read() as session, pytest.raises(NotFoundError):
        get_job(session, owner=OWNER, job_id="job_doesnotexist")


def list_jobs(
    session: Session,
    *,
    owner: str,
    status: str | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[JobRow]:
    """One owner's page of jobs, as the job list reads it."""
    where = JobFilter(owner=owner, status=status)
    return [job for job, _ in list_job_page(session, where, limit=limit, before=before)]


def test_list_jobs_shows_only_the_owners_jobs(db: Database) -> None:
    """Listing never leaks another owner's jobs."""
    now = utcnow()
    mine = {make_job(db, now) for _ in range(2)}
    make_job(db, now, owner="bob")
    with db.read() as session:
        assert {j.id for j in list_jobs(session, owner=OWNER)} == mine
        assert len(list_jobs(session, owner="carol")) == 0


def test_list_jobs_filters_by_status(db: Database) -> None:
    """The status filter returns exactly the jobs in that state."""
    now = utcnow()
    queued = make_job(db, now, priority=0)
    running = make_job(db, now, priority=10)
    must_claim(db, "w1", now)
    with db.read() as session:
        assert [j.id for j in list_jobs(session, owner=OWNER, status="queued")] == [queued]
        assert [j.id for j in list_jobs(session, owner=OWNER, status="processing")] == [running]
        assert list_jobs(session, owner=OWNER, status="completed") == []


def test_list_jobs_paginates_newest_first_without_gaps_or_duplicates(db: Database) -> None:
    """Following ``before`` cursors visits every job once, newest first."""
    now = utcnow()
    created = []
    for _ in range(7):
        created.append(make_job(db, now))
        time.sleep(0.002)  # ids carry milliseconds: a distinct one per job
    seen: list[str] = []
    pages = 0
    before = None
    with db.read() as session:
        while True:
            page = list_jobs(session, owner=OWNER, limit=3, before=before)
            if not page:
                break
            assert len(page) <= 3
            seen += [j.id for j in page]
            before = page[-1].id
            pages += 1
    assert seen == list(reversed(created))
    assert pages == 3


def test_delete_refuses_active_jobs(db: Database) -> None:
    """Queued and processing jobs must be cancelled before deletion."""
    now = utcnow()
    queued = make_job(db, now, priority=0)
    running = make_job(db, now, priority=10)
    must_claim(db, "w1", now)
    for job_id, status in ((queued, "queued"), (running, "processing")):
        with db.write() as session, pytest.raises(ConflictError, match=status):
            delete_job(session, owner=OWNER, job_id=job_id)
        assert job_row(db, job_id).status == status


def test_delete_of_a_finished_job_removes_its_rows(db: Database) -> None:
    """Jobs, tasks and results rows are gone; the job is not found any more."""
    job_id = make_job(db, utcnow(), pages=2)
    _complete(db, job_id, pages=2)
    with db.write() as session:
        delete_job(session, owner=OWNER, job_id=job_id)
    with db.read() as session:
        assert session.get(JobRow, job_id) is None
        assert session.query(TaskRow).filter_by(job_id=job_id).count() == 0
        assert session.query(ResultRow).filter_by(job_id=job_id).count() == 0
    with db.read() as session, pytest.raises(NotFoundError):
        get_job(session, owner=OWNER, job_id=job_id)


def test_delete_of_another_owners_job_is_not_found(db: Database) -> None:
    """Deletion is scoped to the owner too."""
    job_id = make_job(db, utcnow(), owner="bob")
    _complete(db, job_id)
    with db.write() as session, pytest.raises(NotFoundError):
        delete_job(session, owner=OWNER, job_id=job_id)
    assert job_row(db, job_id).status == "completed"


def test_get_result_before_completion_is_a_conflict(db: Database) -> None:
    """Results of a job still running cannot be read yet."""
    now = utcnow()
    job_id = make_job(db, now)
    with db.read() as session, pytest.raises(ConflictError, match="queued"):
        get_result(session, owner=OWNER, job_id=job_id, format="text")
    must_claim(db, "w1", now)
    with db.read() as session, pytest.raises(ConflictError, match="processing"):
        get_result(session, owner=OWNER, job_id=job_id, format="text")


def test_get_result_returns_the_stored_format(db: Database) -> None:
    """A completed job's stored format comes back with its blob key and size."""
    job_id = make_job(db, utcnow())
    _complete(db, job_id)
    with db.read() as session:
        result = get_result(session, owner=OWNER, job_id=job_id, format="json")
    assert (result.blob_key, result.media_type, result.size) == (
        "results/r/json",
        "application/json",
        20,
    )


def test_get_result_of_a_format_not_stored_is_not_found(db: Database) -> None:
    """Asking for a format the job did not store names the ones it did."""
    job_id = make_job(db, utcnow())
    _complete(db, job_id)
    with db.read() as session, pytest.raises(NotFoundError, match="hocr") as info:
        get_result(session, owner=OWNER, job_id=job_id, format="hocr")
    assert "json" in str(info.value) and "text" in str(info.value)


def test_page_result_keys_are_in_page_order(db: Database) -> None:
    """Keys come back by page number, whatever order the pages finished in."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    leases = [must_claim(db, f"w{i}", now) for i in range(3)]
    for lease in reversed(leases):
        finish_page(db, lease, now)
    with db.read() as session:
        assert page_result_keys(session, job_id) == [
            f"pages/{job_id}/1/1",
            f"pages/{job_id}/2/1",
            f"pages/{job_id}/3/1",
        ]


def test_page_result_keys_refuse_a_job_with_unrecognised_pages(db: Database) -> None:
    """Assembling with a page missing is an error naming the page."""
    now = utcnow()
    job_id = make_job(db, now, pages=3)
    finish_page(db, must_claim(db, "w1", now), now)
    with db.read() as session, pytest.raises(RuntimeError, match=r"\[2, 3\]"):
        page_result_keys(session, job_id)


def test_get_job_document_gives_the_document_and_the_json_result_once_there(
    db: Database,
) -> None:
    job_id = make_job(db, utcnow(), pages=2)
    with db.read() as session:
        queued, document, before = get_job_document(session, owner=OWNER, job_id=job_id)
    _complete(db, job_id, pages=2)
    with db.read() as session:
        _, _, after = get_job_document(session, owner=OWNER, job_id=job_id)
        with pytest.raises(NotFoundError):
            get_job_document(session, owner="mallory", job_id=job_id)

    assert queued.id == job_id and document.id == queued.document_id and document.pages == 2
    assert (before, after) == (None, "results/r/json")
