"""Helpers for the retention tests: real documents and jobs driven to an end at chosen times."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.queue.helpers import OWNER, POLICY, TTL, must_claim
from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow, JobRow, ResultRow, TaskRow
from untxt.options import JobOptions
from untxt.queue import StoredResult, complete_job, complete_page, enqueue_job, fail_task
from untxt.queue.jobs import cancel_job
from untxt.storage import LocalBlobStore
from untxt.storage.keys import page_blob_key, result_blob_key

DAY = timedelta(days=1)


def new_sha() -> str:
    """A fresh content hash."""
    return uuid.uuid4().hex * 2


def add_doc(
    db: Database,
    now: datetime,
    *,
    owner: str = OWNER,
    sha: str | None = None,
    deleted: bool = False,
) -> DocumentRow:
    """Record an upload of one page made at ``now`` (soft-deleted at once if ``deleted``)."""
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=owner,
            sha256=sha or new_sha(),
            filename="scan.png",
            media_type="image/png",
            size=100,
            pages=1,
            now=now,
        )
        if deleted:
            stored = session.get(DocumentRow, document.id)
            assert stored is not None
            stored.deleted_at = now
    return document


def job_on(db: Database, document: DocumentRow, now: datetime, status: str) -> str:
    """Submit a job on ``document`` at ``now`` and drive it to ``status`` at that time.

    Completed jobs record a page and a result under their real blob keys. Call
    it for queued jobs last: a later claim would take their tasks.
    """
    with db.write() as session:
        job_id = enqueue_job(
            session,
            owner=document.owner,
            document=document,
            options=JobOptions(),
            max_attempts=POLICY.max_attempts,
            now=now,
        ).id
    if status == "queued":
        return job_id
    if status == "cancelled":
        with db.write() as session:
            cancel_job(session, owner=document.owner, job_id=job_id, now=now)
        return job_id
    lease = must_claim(db, "worker", now)
    assert lease.job_id == job_id, "another job's task was claimed; make queued jobs last"
    if status == "processing":
        return job_id
    with db.write() as session:
        if status == "failed":
            fail_task(session, lease, error="damaged", permanent=True, policy=POLICY, now=now)
            return job_id
        key = page_blob_key(job_id, lease.page, lease.attempts)
        done = complete_page(session, lease, result_key=key, ttl=TTL, now=now)
    assert done.assemble is not None
    with db.write() as session:
        lease = done.assemble
        key = result_blob_key(job_id, lease.task_id, lease.attempts, "txt")
        result = StoredResult("text", key, "text/plain", 4)
        complete_job(session, done.assemble, results=[result], now=now)
    assert status == "completed", status
    return job_id


def job_blob_keys(db: Database, job_id: str) -> list[str]:
    """The page and result blob keys a job completed by :func:`job_on` records."""
    with db.read() as session:
        results = session.scalars(select(ResultRow.blob_key).where(ResultRow.job_id == job_id))
        return [page_blob_key(job_id, 1, 1), *results]


def put_blob(storage: LocalBlobStore, key: str, written: datetime) -> None:
    """Store a blob whose file says it was written at ``written``."""
    storage.put(key, b"data")
    stamp = written.timestamp()
    os.utime(storage.root.joinpath(*key.split("/")), (stamp, stamp))


def count_rows(db: Database) -> dict[str, int]:
    """How many rows each table holds."""
    with db.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (DocumentRow, JobRow, TaskRow, ResultRow)
        }


def job_ids(db: Database) -> set[str]:
    """The ids of every job row."""
    with db.read() as session:
        return set(session.scalars(select(JobRow.id)))


def document_ids(db: Database) -> set[str]:
    """The ids of every document row, soft-deleted ones included."""
    with db.read() as session:
        return set(session.scalars(select(DocumentRow.id)))
