"""The result cache: the options fingerprint, and which earlier job a submit may reuse."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.queue.helpers import (
    OWNER,
    job_row,
    later,
    must_claim,
    png_document,
    result_rows,
    results_for,
    task_rows,
)
from untxt.db import Database
from untxt.db.models import DocumentRow, JobRow
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue import Outcome, complete_only_page, fail_task
from untxt.queue.cache import cached_results, options_fingerprint
from untxt.queue.jobs import delete_job, enqueue_job
from untxt.queue.retention import delete_expired_jobs
from untxt.queue.retry import RetryPolicy

ENGINE = "tesseract"
VERSION = "5.3.0"
OPTIONS = JobOptions(engine=ENGINE, languages=["eng", "deu"], outputs=["json", "text"])
SHA = hashlib.sha256(b"the same file").hexdigest()


def _fingerprint(options: JobOptions, version: str = VERSION) -> str:
    return options_fingerprint(options, engine_version=version)


def _with(**changes: object) -> JobOptions:
    return JobOptions.model_validate({**OPTIONS.model_dump(), **changes})


# --- the fingerprint ---------------------------------------------------------------------


def test_fingerprint_ignores_how_and_when_a_job_runs() -> None:
    """Priority and ``no_cache`` say nothing about the result: the same fingerprint."""
    assert _fingerprint(_with(priority=9)) == _fingerprint(OPTIONS)
    assert _fingerprint(_with(no_cache=True)) == _fingerprint(OPTIONS)


def test_fingerprint_ignores_the_order_outputs_are_asked_in() -> None:
    """The same formats in another order are the same results."""
    assert _fingerprint(_with(outputs=["text", "json"])) == _fingerprint(OPTIONS)


@pytest.mark.parametrize(
    "changes",
    [
        {"languages": ["eng"]},
        {"languages": ["deu", "eng"]},  # the first language is the most likely one
        {"engine": "rapidocr"},
        {"mode": "general"},
        {"resolution": "large"},
        {"pdf_mode": "force"},
        {"pdf_mode": "skip_text"},
        {"preprocess": {"deskew": False}},
        {"outputs": ["json"]},
        {"outputs": ["json", "text", "pdf"]},
    ],
    ids=repr,
)
def test_fingerprint_changes_with_anything_the_result_depends_on(
    changes: dict[str, object],
) -> None:
    assert _fingerprint(_with(**changes)) != _fingerprint(OPTIONS)


def test_fingerprint_changes_with_the_engine_version() -> None:
    """An upgraded engine reads the file again rather than serve an old result."""
    assert _fingerprint(OPTIONS, "5.4.0") != _fingerprint(OPTIONS)
    assert _fingerprint(OPTIONS) == _fingerprint(OPTIONS.model_copy())


# --- which job is reused -----------------------------------------------------------------


def _document(db: Database, now: datetime, owner: str = OWNER) -> DocumentRow:
    """The owner's document of :data:`SHA` (one row per owner and content)."""
    return png_document(db, now, sha256=SHA, owner=owner)


def _submit(
    db: Database,
    now: datetime,
    options: JobOptions = OPTIONS,
    *,
    owner: str = OWNER,
    version: str = VERSION,
) -> str:
    document = _document(db, now, owner)
    with db.write() as session:
        job = enqueue_job(
            session,
            owner=owner,
            document=document,
            options=options,
            max_attempts=3,
            now=now,
            engine_version=version,
        )
    return job.id


def _complete(db: Database, now: datetime, tag: str) -> str:
    """Run the one queued one-page job to completion with :func:`results_for` ``tag``."""
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        outcome = complete_only_page(session, lease, results=results_for(tag), now=now)
    assert outcome is Outcome.DONE
    return lease.job_id


def _blob_keys(db: Database, job_id: str) -> dict[str, str]:
    return {row.format: row.blob_key for row in result_rows(db, job_id)}


def test_a_repeat_of_a_completed_job_is_created_completed_with_its_results(db: Database) -> None:
    """No tasks, the same blobs, and the job says it is done."""
    now = utcnow()
    first = _submit(db, now)
    _complete(db, now, "first")

    second = _submit(db, later(now, 60))

    job = job_row(db, second)
    assert (job.status, job.pages_done, job.pages_total, job.attempts) == ("completed", 1, 1, 0)
    assert job.finished_at is not None and job.started_at == job.finished_at
    assert task_rows(db, second) == []
    assert _blob_keys(db, second) == _blob_keys(db, first)
    assert set(_blob_keys(db, first).values()) == {r.blob_key for r in results_for("first")}


def test_the_most_recently_finished_completed_job_is_reused(db: Database) -> None:
    now = utcnow()
    _submit(db, now)
    _complete(db, now, "old")
    _submit(db, later(now, 10), _with(no_cache=True))
    newer = _complete(db, later(now, 20), "new")

    repeat = _submit(db, later(now, 30))

    assert _blob_keys(db, repeat) == _blob_keys(db, newer)


def test_lookup_only_finds_the_same_owners_job(db: Database) -> None:
    """Another owner's completed job on the same content is not theirs to reuse."""
    now = utcnow()
    alices = _submit(db, now)
    _complete(db, now, "alice")
    fingerprint = job_row(db, alices).options_fingerprint
    assert fingerprint is not None

    with db.read() as session:
        document = job_row(db, alices).document_id
        found = cached_results(
            session, owner=OWNER, document_id=document, fingerprint=fingerprint, outputs=["json"]
        )
        foreign = cached_results(
            session, owner="bob", document_id=document, fingerprint=fingerprint, outputs=["json"]
        )
    assert found is not None and [r["format"] for r in found] == ["json"]
    assert foreign is None

    bobs = _submit(db, later(now, 1), owner="bob")
    assert job_row(db, bobs).status == "queued"
    assert len(task_rows(db, bobs)) == 1


@pytest.mark.parametrize("state", ["queued", "processing", "failed"])
def test_a_job_that_did_not_complete_is_not_reused(db: Database, state: str) -> None:
    now = utcnow()
    _submit(db, now)
    if state != "queued":
        lease = must_claim(db, "w1", now)
        if state == "failed":
            with db.write() as session:
                fail_task(
                    session,
                    lease,
                    error="broken",
                    permanent=True,
                    policy=RetryPolicy(1, 1.0, 1.0),
                    now=now,
                )

    repeat = _submit(db, later(now, 1))

    assert job_row(db, repeat).status == "queued"
    assert result_rows(db, repeat) == []
    assert [t.status for t in task_rows(db, repeat)] == ["queued"]


def test_no_cache_queues_the_job_again(db: Database) -> None:
    now = utcnow()
    _submit(db, now)
    _complete(db, now, "first")

    again = _submit(db, later(now, 1), _with(no_cache=True))

    assert job_row(db, again).status == "queued"
    assert result_rows(db, again) == []


@pytest.mark.parametrize(
    ("options", "version"),
    [(_with(languages=["eng"]), VERSION), (OPTIONS, "5.4.0"), (_with(outputs=["json"]), VERSION)],
    ids=["other languages", "other engine version", "fewer outputs"],
)
def test_other_options_or_engine_version_queue_the_job_again(
    db: Database, options: JobOptions, version: str
) -> None:
    now = utcnow()
    _submit(db, now)
    _complete(db, now, "first")

    again = _submit(db, later(now, 1), options, version=version)

    assert job_row(db, again).status == "queued"


def test_a_reused_job_is_reused_again_with_the_original_blobs(db: Database) -> None:
    """A job served from the cache is a completed job too: its results point at the same blobs."""
    now = utcnow()
    first = _submit(db, now)
    _complete(db, now, "first")
    second = _submit(db, later(now, 1))

    third = _submit(db, later(now, 2))

    assert _blob_keys(db, third) == _blob_keys(db, second) == _blob_keys(db, first)


def test_on_postgres_a_reused_job_is_share_locked_until_the_submit_commits(db: Database) -> None:
    """Neither a delete nor the retention sweep removes the job (then its blobs) while a
    submit that reuses it is still open; once it commits, they may."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite serialises writers: no row locks to take")
    now = utcnow()
    first = _submit(db, now)
    _complete(db, now, "first")
    fingerprint = job_row(db, first).options_fingerprint
    document = job_row(db, first).document_id
    assert fingerprint is not None

    with db.write() as submit:
        found = cached_results(
            submit, owner=OWNER, document_id=document, fingerprint=fingerprint, outputs=["json"]
        )
        assert found is not None
        with db.write() as other:
            # The sweep skips rows another transaction holds.
            assert delete_expired_jobs(other, cutoff=later(now, 3600), limit=10) == 0
        with pytest.raises(OperationalError, match="lock timeout"), db.write() as other:
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            delete_job(other, owner=OWNER, job_id=first)

    with db.write() as other:
        delete_job(other, owner=OWNER, job_id=first)
    with db.read() as session:
        assert session.get(JobRow, first) is None


def test_deleting_a_reusing_job_returns_the_blobs_it_held(db: Database) -> None:
    """The caller learns which blobs to delete once no results row refers to them."""
    now = utcnow()
    first = _submit(db, now)
    _complete(db, now, "first")
    second = _submit(db, later(now, 1))

    with db.write() as session:
        held = delete_job(session, owner=OWNER, job_id=second)

    assert sorted(held) == sorted(_blob_keys(db, first).values())
    assert result_rows(db, second) == []
    assert len(result_rows(db, first)) == 2
