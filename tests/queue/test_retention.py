"""Retention SQL: which rows expire, deleting them in batches, and what still refers to blobs."""

from __future__ import annotations

import pytest

from tests.retention_helpers import (
    DAY,
    add_doc,
    count_rows,
    document_ids,
    job_ids,
    job_on,
    new_sha,
)
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue.retention import (
    count_expired_jobs,
    count_unused_documents,
    delete_expired_jobs,
    delete_unused_documents,
    existing_job_ids,
    referenced_blob_keys,
)
from untxt.storage.keys import document_blob_key


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_a_job_finished_before_the_cutoff_goes_with_its_tasks_and_results(
    db: Database, status: str
) -> None:
    """Every final status expires; the job's tasks and result rows go in the same batch."""
    now = utcnow()
    old = job_on(db, add_doc(db, now - 40 * DAY), now - 40 * DAY, status)
    young = job_on(db, add_doc(db, now - 40 * DAY), now - DAY, status)
    kept_rows = count_rows(db)

    with db.write() as session:
        deleted = delete_expired_jobs(session, cutoff=now - 30 * DAY, limit=100)

    assert deleted == 1
    assert job_ids(db) == {young}
    assert old not in job_ids(db)
    after = count_rows(db)
    assert after["jobs"] == kept_rows["jobs"] - 1
    assert after["tasks"] == kept_rows["tasks"] // 2
    assert after["results"] == kept_rows["results"] // 2
    assert after["documents"] == kept_rows["documents"]


def test_active_jobs_are_never_deleted_whatever_their_age(db: Database) -> None:
    """Queued and processing jobs stay, however long ago they were submitted or claimed."""
    long_ago = utcnow() - 400 * DAY
    processing = job_on(db, add_doc(db, long_ago), long_ago, "processing")
    queued = job_on(db, add_doc(db, long_ago), long_ago, "queued")

    with db.write() as session:
        deleted = delete_expired_jobs(session, cutoff=utcnow(), limit=100)
    with db.read() as session:
        counted = count_expired_jobs(session, cutoff=utcnow())

    assert (deleted, counted) == (0, 0)
    assert job_ids(db) == {processing, queued}


def test_jobs_go_oldest_first_in_batches_of_the_limit(db: Database) -> None:
    """A backlog is deleted a bounded batch per transaction, the oldest finished first."""
    now = utcnow()
    jobs = [
        job_on(db, add_doc(db, now - 90 * DAY), now - (60 - i) * DAY, "completed") for i in range(5)
    ]
    with db.read() as session:
        assert count_expired_jobs(session, cutoff=now - 30 * DAY) == 5

    with db.write() as session:
        first = delete_expired_jobs(session, cutoff=now - 30 * DAY, limit=2)

    assert first == 2
    assert job_ids(db) == set(jobs[2:])
    for expected in (2, 1, 0):
        with db.write() as session:
            assert delete_expired_jobs(session, cutoff=now - 30 * DAY, limit=2) == expected
    assert job_ids(db) == set()


def test_old_documents_go_only_once_no_job_refers_to_them(db: Database) -> None:
    """Unused old documents go, soft-deleted or not; any job, even an expired one, keeps its
    document (the jobs go first); young documents stay."""
    now = utcnow()
    unused = add_doc(db, now - 40 * DAY)
    soft_deleted = add_doc(db, now - 40 * DAY, deleted=True)
    young = add_doc(db, now - DAY)
    with_old_job = add_doc(db, now - 40 * DAY)
    job_on(db, with_old_job, now - 40 * DAY, "completed")
    with_active_job = add_doc(db, now - 40 * DAY)
    job_on(db, with_active_job, now - 40 * DAY, "queued")

    with db.read() as session:
        # A dry run counts the document whose only job would go too.
        assert count_unused_documents(session, cutoff=now - 30 * DAY) == 3
    with db.write() as session:
        deleted = delete_unused_documents(session, cutoff=now - 30 * DAY, limit=100)

    assert deleted == 2
    assert document_ids(db) == {young.id, with_old_job.id, with_active_job.id}
    assert unused.id not in document_ids(db)
    assert soft_deleted.id not in document_ids(db)


def test_documents_go_in_batches_of_the_limit(db: Database) -> None:
    """Documents, too, are deleted a bounded batch per transaction."""
    now = utcnow()
    for _ in range(3):
        add_doc(db, now - 40 * DAY)

    with db.write() as session:
        assert delete_unused_documents(session, cutoff=now - 30 * DAY, limit=2) == 2
    with db.write() as session:
        assert delete_unused_documents(session, cutoff=now - 30 * DAY, limit=2) == 1
    assert document_ids(db) == set()


def test_a_blob_shared_by_owners_stays_referenced_while_any_document_has_it(
    db: Database,
) -> None:
    """Blobs are stored by content: Bob's document keeps the blob Alice's also used."""
    now = utcnow()
    shared = new_sha()
    alice = add_doc(db, now - 40 * DAY, owner="alice", sha=shared)
    add_doc(db, now - DAY, owner="bob", sha=shared)
    lone = add_doc(db, now - 40 * DAY)
    keys = [alice.blob_key, lone.blob_key, document_blob_key(new_sha())]

    with db.write() as session:
        assert delete_unused_documents(session, cutoff=now - 30 * DAY, limit=100) == 2
    with db.read() as session:
        referenced = referenced_blob_keys(session, keys)

    assert referenced == {document_blob_key(shared)}


def test_a_dry_run_lookup_ignores_rows_the_cleanup_would_delete(db: Database) -> None:
    """In a dry run nothing is deleted, so the lookups treat expired rows as gone already."""
    now = utcnow()
    cutoff = now - 30 * DAY
    expiring_doc = add_doc(db, now - 40 * DAY)
    expiring_job = job_on(db, expiring_doc, now - 40 * DAY, "failed")
    kept_doc = add_doc(db, now - 40 * DAY)
    kept_job = job_on(db, kept_doc, now - DAY, "completed")
    keys = [expiring_doc.blob_key, kept_doc.blob_key]
    ids = [expiring_job, kept_job, "job_gone"]

    with db.read() as session:
        assert referenced_blob_keys(session, keys) == set(keys)
        assert referenced_blob_keys(session, keys, dry_run_cutoff=cutoff) == {kept_doc.blob_key}
        assert existing_job_ids(session, ids) == {expiring_job, kept_job}
        assert existing_job_ids(session, ids, dry_run_cutoff=cutoff) == {kept_job}
        assert existing_job_ids(session, []) == set()
        assert referenced_blob_keys(session, []) == set()
