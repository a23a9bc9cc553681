"""Retention cleanup end to end: real rows, real blobs, and what a run deletes and keeps."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from tests.conftest import make_settings
from tests.queue.helpers import OWNER
from tests.retention_helpers import (
    DAY,
    add_doc,
    count_rows,
    document_ids,
    job_blob_keys,
    job_ids,
    job_on,
    new_sha,
    put_blob,
)
from tests.s3 import moto_server, new_bucket, use_credentials
from untxt.config import parse_duration
from untxt.db import Database, upgrade
from untxt.db.models import BatchRow, DocumentRow, IdempotencyKeyRow
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue import enqueue_job
from untxt.queue.batches import create_batch
from untxt.queue.idempotency import claim_key, store_answer
from untxt.retention import PeriodicCleanup, cleanup
from untxt.storage import BlobStore, LocalBlobStore
from untxt.storage.keys import document_blob_key
from untxt.storage.s3 import S3BlobStore

MONTH = 30 * DAY


@dataclass
class World:
    """A database and blob store holding something of every kind retention decides on."""

    now: datetime
    deleted_jobs: set[str] = field(default_factory=set)
    kept_jobs: set[str] = field(default_factory=set)
    deleted_documents: set[str] = field(default_factory=set)
    kept_documents: set[str] = field(default_factory=set)
    deleted_blobs: set[str] = field(default_factory=set)
    kept_blobs: set[str] = field(default_factory=set)


def build_world(db: Database, storage: LocalBlobStore) -> World:
    """Old and young, finished and active jobs; shared, orphan and young blobs."""
    now = utcnow()
    old, young = now - 40 * DAY, now - DAY
    world = World(now)

    def document(
        when: datetime,
        *,
        keep: bool,
        blob_keep: bool | None = None,
        owner: str = OWNER,
        sha: str | None = None,
        deleted: bool = False,
    ) -> DocumentRow:
        doc = add_doc(db, when, owner=owner, sha=sha, deleted=deleted)
        (world.kept_documents if keep else world.deleted_documents).add(doc.id)
        put_blob(storage, doc.blob_key, when)
        blob_keep = keep if blob_keep is None else blob_keep
        (world.kept_blobs if blob_keep else world.deleted_blobs).add(doc.blob_key)
        return doc

    def job(doc: DocumentRow, when: datetime, status: str, *, keep: bool) -> str:
        job_id = job_on(db, doc, when, status)
        (world.kept_jobs if keep else world.deleted_jobs).add(job_id)
        for key in job_blob_keys(db, job_id) if status == "completed" else []:
            put_blob(storage, key, when)
            (world.kept_blobs if keep else world.deleted_blobs).add(key)
        return job_id

    # Finished long ago: jobs, their documents and all their blobs go.
    for status in ("completed", "failed", "cancelled"):
        job(document(old, keep=False), old, status, keep=False)
    # Finished recently: kept, with the old document they use.
    job(document(old, keep=True), young, "completed", keep=True)
    # Unused old documents go, soft-deleted or not; a young one stays.
    document(old, keep=False)
    document(old, keep=False, deleted=True)
    document(young, keep=True)
    # One content, two owners: Alice's old document goes, Bob's (with a young job)
    # keeps the blob they share.
    shared = new_sha()
    document(old, keep=False, blob_keep=True, owner="alice", sha=shared)
    job(document(old, keep=True, owner="bob", sha=shared), young, "completed", keep=True)
    # Blobs no row refers to: old ones go, a young one (an upload whose row is not
    # committed yet) stays, and so does anything outside untxt's prefixes.
    for key, when, keep in (
        (document_blob_key(new_sha()), old, False),
        ("jobs/job_gone/pages/00001-1.json", old, False),
        ("jobs/job_gone/result.txt", old, False),
        (document_blob_key(new_sha()), now - timedelta(minutes=10), True),
        ("jobs/job_new/pages/00001-1.json", now - timedelta(minutes=10), True),
        ("backups/untxt.db", old, True),
    ):
        put_blob(storage, key, when)
        (world.kept_blobs if keep else world.deleted_blobs).add(key)
    # Active jobs stay whatever their age, with their documents (made last: see job_on).
    job(document(old, keep=True), old, "processing", keep=True)
    job(document(old, keep=True), old, "queued", keep=True)
    return world


def blob_keys(storage: BlobStore) -> set[str]:
    return {blob.key for blob in storage.iter_blobs()}


def expected_counts(world: World) -> tuple[int, int, int]:
    return (len(world.deleted_jobs), len(world.deleted_documents), len(world.deleted_blobs))


def test_cleanup_deletes_what_expired_and_keeps_the_rest(
    db: Database, storage: LocalBlobStore
) -> None:
    """Old finished jobs and unused documents go with their blobs; nothing else does."""
    world = build_world(db, storage)

    report = cleanup(db, storage, older_than=MONTH, now=world.now)

    assert (report.jobs, report.documents, report.blobs) == expected_counts(world)
    assert report.blob_bytes == 4 * len(world.deleted_blobs)
    assert not report.dry_run
    assert job_ids(db) == world.kept_jobs
    assert document_ids(db) == world.kept_documents
    assert blob_keys(storage) == world.kept_blobs
    # The deleted jobs' tasks and results went with them.
    rows = count_rows(db)
    assert rows["results"] == 2
    assert rows["tasks"] == 2 * 2 + 1 + 1


def test_a_dry_run_deletes_nothing_and_counts_what_a_run_would(
    db: Database, storage: LocalBlobStore
) -> None:
    """The dry run's counts are those the real run then reports."""
    world = build_world(db, storage)
    rows, blobs = count_rows(db), blob_keys(storage)

    dry = cleanup(db, storage, older_than=MONTH, now=world.now, dry_run=True)

    assert count_rows(db) == rows
    assert blob_keys(storage) == blobs
    assert dry.dry_run
    assert (dry.jobs, dry.documents, dry.blobs) == expected_counts(world)
    assert "would delete" in dry.summary()
    real = cleanup(db, storage, older_than=MONTH, now=world.now)
    assert (real.jobs, real.documents, real.blobs, real.blob_bytes) == (
        dry.jobs,
        dry.documents,
        dry.blobs,
        dry.blob_bytes,
    )


def test_a_second_run_finds_nothing_more(db: Database, storage: LocalBlobStore) -> None:
    """Cleanup is idempotent: what it kept, it keeps."""
    world = build_world(db, storage)
    cleanup(db, storage, older_than=MONTH, now=world.now)

    again = cleanup(db, storage, older_than=MONTH, now=world.now)

    assert (again.jobs, again.documents, again.blobs) == (0, 0, 0)
    assert blob_keys(storage) == world.kept_blobs


def test_small_batches_delete_a_backlog_in_several_transactions(
    db: Database, storage: LocalBlobStore
) -> None:
    """The batch size bounds each transaction, not what a run deletes."""
    now = utcnow()
    for _ in range(5):
        job_on(db, add_doc(db, now - 40 * DAY), now - 40 * DAY, "completed")

    report = cleanup(db, storage, older_than=MONTH, now=now, batch_size=2)

    assert (report.jobs, report.documents) == (5, 5)
    assert count_rows(db) == {"documents": 0, "jobs": 0, "tasks": 0, "results": 0}


def test_a_stopped_cleanup_ends_at_a_batch_boundary(db: Database, storage: LocalBlobStore) -> None:
    """Asked to stop, it finishes the batch in hand and leaves the rest for the next run."""
    now = utcnow()
    for _ in range(5):
        job_on(db, add_doc(db, now - 40 * DAY), now - 40 * DAY, "failed")
    asked = iter([False, True])

    report = cleanup(
        db, storage, older_than=MONTH, now=now, batch_size=2, stop=lambda: next(asked, True)
    )

    assert (report.jobs, report.documents, report.blobs) == (2, 0, 0)
    assert len(job_ids(db)) == 3


def test_a_cutoff_must_be_positive(db: Database, storage: LocalBlobStore) -> None:
    """A zero age would delete every finished job at once; it is refused."""
    with pytest.raises(ValueError, match="positive"):
        cleanup(db, storage, older_than=timedelta(0))


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def test_cleanup_sweeps_an_s3_store(
    db: Database, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On S3 too: blobs of deleted jobs and documents go; shared and referenced ones stay."""
    use_credentials(monkeypatch)
    storage = S3BlobStore(new_bucket(s3_endpoint), "untxt", endpoint_url=s3_endpoint)
    # S3 stamps objects with the server's clock, so the cleanup runs in the future.
    now = utcnow() + 60 * DAY
    shared = new_sha()
    gone = job_on(db, add_doc(db, now - 40 * DAY, sha=shared), now - 40 * DAY, "completed")
    bob = add_doc(db, now - 40 * DAY, owner="bob", sha=shared)
    kept = job_on(db, bob, now - DAY, "completed")
    for key in [document_blob_key(shared), *job_blob_keys(db, gone), *job_blob_keys(db, kept)]:
        storage.put(key, b"data")
    storage.put(document_blob_key(new_sha()), b"orphan")

    report = cleanup(db, storage, older_than=MONTH, now=now)

    assert (report.jobs, report.documents, report.blobs) == (1, 1, 3)
    assert blob_keys(storage) == {document_blob_key(shared), *job_blob_keys(db, kept)}


# --- the periodic cleanup ------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_periodic_cleanup_runs_every_interval_and_survives_errors(
    tmp_path: Path, db_url: str
) -> None:
    """A failing run (here: no tables yet) is logged; the next interval tries again."""
    settings = make_settings(
        tmp_path / "data", database_url=db_url, retention="30d", cleanup_interval=0.2
    )
    periodic = PeriodicCleanup(settings)
    db = Database(db_url)
    try:
        deadline = time.monotonic() + 0.6
        while time.monotonic() < deadline:  # runs on a database without tables, and fails
            periodic.poll()
            time.sleep(0.05)
        upgrade(db)
        now = utcnow()
        job_on(db, add_doc(db, now - 40 * DAY), now - 40 * DAY, "completed")
        young = job_on(db, add_doc(db, now - DAY), now - DAY, "completed")

        def cleaned() -> bool:
            periodic.poll()
            return job_ids(db) == {young}

        assert wait_until(cleaned)
    finally:
        periodic.close()
        db.dispose()


def test_retention_off_never_deletes(tmp_path: Path, db: Database, db_url: str) -> None:
    """With ``UNTXT_RETENTION=off`` the periodic cleanup does nothing at all."""
    settings = make_settings(
        tmp_path / "data", database_url=db_url, retention="off", cleanup_interval=0.05
    )
    now = utcnow()
    old = job_on(db, add_doc(db, now - 400 * DAY), now - 400 * DAY, "completed")
    periodic = PeriodicCleanup(settings)

    for _ in range(10):
        periodic.poll()
        time.sleep(0.05)
    periodic.close()

    assert job_ids(db) == {old}


def test_a_worker_pool_runs_the_cleanup(tmp_path: Path, db_url: str) -> None:
    """``untxt serve`` and ``untxt worker`` get the periodic cleanup through their pool."""
    from untxt.worker import WorkerPool

    settings = make_settings(
        tmp_path / "data", database_url=db_url, retention="1d", cleanup_interval=0.2
    )
    db = Database(db_url)
    upgrade(db)
    now = utcnow()
    job_on(db, add_doc(db, now - 2 * DAY), now - 2 * DAY, "cancelled")
    pool = WorkerPool(settings, 0)
    try:
        pool.start()
        assert wait_until(lambda: not job_ids(db), timeout=15)
    finally:
        pool.stop()
        db.dispose()


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        (" 7D ", timedelta(days=7)),
        ("0", None),
        ("0d", None),
        ("off", None),
        ("OFF", None),
    ],
)
def test_durations_parse(text: str, expected: timedelta | None) -> None:
    """A whole number and a unit; zero or ``off`` mean never."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["30", "1.5h", "-1d", "30 days", "d", "", "99999999999999d"])
def test_bad_durations_are_refused_with_the_accepted_forms(text: str) -> None:
    """The message says what would have been accepted."""
    with pytest.raises(ValueError, match=r"invalid duration|too long") as caught:
        parse_duration(text)
    if "too long" not in str(caught.value):
        assert "e.g. 90m, 12h, 30d" in str(caught.value)


def test_the_retention_setting_is_checked_at_startup(tmp_path: Path) -> None:
    """A bad ``UNTXT_RETENTION`` stops the service from starting, rather than never cleaning."""
    with pytest.raises(ValidationError, match="invalid duration '3 months'"):
        make_settings(tmp_path, retention="3 months")
    assert make_settings(tmp_path).retention_period == timedelta(days=30)
    assert make_settings(tmp_path, retention="off").retention_period is None


def test_cleanup_deletes_emptied_batches_and_expired_idempotency_keys(
    db: Database, tmp_path: Path
) -> None:
    now = utcnow()
    document = add_doc(db, now - 40 * DAY)
    with db.write() as session:
        create_batch(session, owner=OWNER, total=1, now=now - 40 * DAY)  # its jobs are gone
        young = create_batch(session, owner=OWNER, total=1, now=now - DAY)
        busy = create_batch(session, owner=OWNER, total=1, now=now - 40 * DAY)
        enqueue_job(
            session,
            owner=OWNER,
            document=document,
            options=JobOptions(),
            max_attempts=3,
            now=now - 40 * DAY,
            batch_id=busy.id,
        )
        for key, when in (("old-key", now - 2 * DAY), ("new-key", now - timedelta(hours=1))):
            claim_key(session, owner=OWNER, key=key, fingerprint="f", now=when, expired_before=when)
            store_answer(session, owner=OWNER, key=key, status_code=202, body="{}", location=None)

    report = cleanup(
        db,
        LocalBlobStore(tmp_path / "blobs"),
        older_than=MONTH,
        now=now,
        idempotency_ttl=timedelta(days=1),
    )

    assert (report.batches, report.idempotency_keys) == (1, 1)
    with db.read() as session:
        assert set(session.scalars(select(BatchRow.id))) == {young.id, busy.id}
        assert set(session.scalars(select(IdempotencyKeyRow.key))) == {"new-key"}
