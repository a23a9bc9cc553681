"""Retention: delete finished jobs, unused documents and unreferenced blobs past a cutoff.

Rows go first, each batch in a transaction of its own (the SQL is in
:mod:`untxt.queue.retention`); then a sweep of the blob store deletes the blobs
no row refers to any more:

- ``documents/...``: no document row has that ``blob_key``. Blobs are stored by
  content, so documents of different owners may share one.
- ``jobs/{id}/...``: the job row is gone, and no results row refers to the blob (a
  job served from the result cache refers to the blobs of the job it reused).

A blob younger than :data:`BLOB_GRACE` is never deleted: an upload's blob is
written before its row is committed. Queued and processing jobs are never
touched, whatever their age. Blobs under other prefixes are left alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from untxt.config import Settings
from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.queue.idempotency import delete_expired_idempotency_keys
from untxt.queue.outbox import delete_expired_events
from untxt.queue.retention import (
    count_expired_jobs,
    count_unused_documents,
    delete_empty_batches,
    delete_expired_jobs,
    delete_unused_documents,
    existing_job_ids,
    referenced_blob_keys,
    result_blob_keys,
)
from untxt.storage import BlobInfo, BlobStore, open_storage
from untxt.storage.keys import DOCUMENTS, JOBS, job_id_of

log = get_logger(__name__)

#: Blobs younger than this are kept even when no row refers to them.
BLOB_GRACE = timedelta(hours=1)
#: Rows per transaction, and blobs per reference lookup.
BATCH_SIZE = 500
# The first periodic cleanup waits this long (or one interval, if shorter) after
# start, so that it does not slow a start-up, nor run at every restart of a crash loop.
_FIRST_DELAY_S = 60.0
# How long stopping a pool waits for a running cleanup to reach a batch boundary.
_STOP_WAIT_S = 30.0

# Which of a batch of blobs rows still refer to.
_Kept = Callable[[Session, list[BlobInfo]], set[str]]


@dataclass
class CleanupReport:
    """What a cleanup deleted (or, in a dry run, would delete)."""

    cutoff: datetime
    dry_run: bool = False
    jobs: int = 0
    documents: int = 0
    blobs: int = 0
    blob_bytes: int = 0
    batches: int = 0
    idempotency_keys: int = 0
    events: int = 0

    def summary(self) -> str:
        """One line for people."""
        verb = "would delete" if self.dry_run else "deleted"
        return (
            f"{verb}: {self.jobs} jobs, {self.documents} documents, {self.blobs} blobs "
            f"({self.blob_bytes} bytes); cutoff {self.cutoff:%Y-%m-%d %H:%M:%S} UTC"
        )


def cleanup(
    db: Database,
    storage: BlobStore,
    *,
    older_than: timedelta,
    now: datetime | None = None,
    dry_run: bool = False,
    grace: timedelta = BLOB_GRACE,
    batch_size: int = BATCH_SIZE,
    idempotency_ttl: timedelta | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> CleanupReport:
    """Delete jobs finished and documents created more than ``older_than`` before ``now``
    (documents only once no job refers to them), then the blobs no row refers to.

    Batches whose jobs are all gone go too, events recorded before the cutoff (with
    their webhook deliveries, unless one is still pending), and, given
    ``idempotency_ttl``, the idempotency keys older than it.

    ``stop`` is asked between batches: a cleanup stopped early has deleted only
    what it should, and the next one carries on from there.
    """
    if older_than <= timedelta(0):
        raise ValueError("older_than must be a positive duration")
    now = now or utcnow()
    report = CleanupReport(cutoff=now - older_than, dry_run=dry_run)
    cutoff = report.cutoff
    if dry_run:
        with db.read() as session:
            report.jobs = count_expired_jobs(session, cutoff=cutoff)
            report.documents = count_unused_documents(session, cutoff=cutoff)
    else:
        # Jobs first: a document goes only once no job refers to it.
        report.jobs = _delete_rows(db, delete_expired_jobs, cutoff, batch_size, stop)
        report.documents = _delete_rows(db, delete_unused_documents, cutoff, batch_size, stop)
        # Job events (with their webhook deliveries) are kept as long as jobs are.
        report.events = _delete_rows(db, delete_expired_events, cutoff, batch_size, stop)
        with db.write() as session:
            report.batches = delete_empty_batches(session, cutoff=cutoff)
            if idempotency_ttl is not None:
                report.idempotency_keys = delete_expired_idempotency_keys(
                    session, before=now - idempotency_ttl
                )
    # A dry run deleted no rows: the lookups then ignore the rows a real run would have.
    dry_cutoff = cutoff if dry_run else None

    def documents_kept(session: Session, blobs: list[BlobInfo]) -> set[str]:
        keys = [blob.key for blob in blobs]
        return referenced_blob_keys(session, keys, dry_run_cutoff=dry_cutoff)

    def jobs_kept(session: Session, blobs: list[BlobInfo]) -> set[str]:
        ids = existing_job_ids(
            session, {job_id_of(blob.key) for blob in blobs}, dry_run_cutoff=dry_cutoff
        )
        kept = {blob.key for blob in blobs if job_id_of(blob.key) in ids}
        orphans = [blob.key for blob in blobs if blob.key not in kept]
        return kept | result_blob_keys(session, orphans, dry_run_cutoff=dry_cutoff)

    for prefix, kept in ((DOCUMENTS, documents_kept), (JOBS, jobs_kept)):
        if not stop():
            _sweep(db, storage, report, prefix, kept, now - grace, batch_size, stop)
    return report


def _delete_rows(
    db: Database,
    delete: Callable[..., int],
    cutoff: datetime,
    batch_size: int,
    stop: Callable[[], bool],
) -> int:
    total = 0
    while not stop():
        with db.write() as session:
            deleted = delete(session, cutoff=cutoff, limit=batch_size)
        total += deleted
        if deleted < batch_size:
            break
    return total


def _sweep(
    db: Database,
    storage: BlobStore,
    report: CleanupReport,
    prefix: str,
    kept: _Kept,
    written_before: datetime,
    batch_size: int,
    stop: Callable[[], bool],
) -> None:
    batch: list[BlobInfo] = []
    for blob in storage.iter_blobs(prefix):
        if blob.modified >= written_before:
            continue
        batch.append(blob)
        if len(batch) >= batch_size:
            _sweep_batch(db, storage, report, batch, kept, stop)
            batch = []
        if stop():
            return
    if batch:
        _sweep_batch(db, storage, report, batch, kept, stop)


def _sweep_batch(
    db: Database,
    storage: BlobStore,
    report: CleanupReport,
    batch: list[BlobInfo],
    kept: _Kept,
    stop: Callable[[], bool],
) -> None:
    with db.read() as session:
        keep = kept(session, batch)
    for blob in batch:
        if blob.key in keep:
            continue
        if not report.dry_run:
            if stop():
                return
            storage.delete(blob.key)
        report.blobs += 1
        report.blob_bytes += blob.size


class PeriodicCleanup:
    """Runs :func:`cleanup` every ``cleanup_interval`` seconds while retention is on.

    Each run has a thread of its own, so a long one delays nothing else; the
    first comes a little after start. Errors are logged, never raised.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        first = min(_FIRST_DELAY_S, settings.cleanup_interval)
        self._next = time.monotonic() + first
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._db: Database | None = None
        self._storage: BlobStore | None = None

    def poll(self) -> None:
        """Start a cleanup if one is due and none is running."""
        if self._settings.retention_period is None or self._stop.is_set():
            return
        if time.monotonic() < self._next or (self._thread and self._thread.is_alive()):
            return
        self._next = time.monotonic() + self._settings.cleanup_interval
        self._thread = threading.Thread(target=self._run, name="untxt-cleanup", daemon=True)
        try:
            self._thread.start()
        except RuntimeError:  # out of threads: the caller (the pool's supervisor) must go on
            log.exception("could not start the retention cleanup; trying at the next interval")

    def _run(self) -> None:
        period = self._settings.retention_period
        if period is None:
            return
        try:
            if self._db is None:
                self._db = Database(self._settings.database_url)
            if self._storage is None:
                self._storage = open_storage(self._settings.storage_url, self._settings)
            report = cleanup(
                self._db,
                self._storage,
                older_than=period,
                idempotency_ttl=timedelta(seconds=self._settings.idempotency_ttl),
                stop=self._stop.is_set,
            )
        except Exception:
            log.exception("retention cleanup failed; it runs again at the next interval")
            return
        log.info(
            "retention cleanup",
            jobs=report.jobs,
            documents=report.documents,
            blobs=report.blobs,
            blob_bytes=report.blob_bytes,
            batches=report.batches,
            idempotency_keys=report.idempotency_keys,
        )

    def close(self) -> None:
        """Stop a running cleanup at its next batch boundary and release the database."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(_STOP_WAIT_S)
            if self._thread.is_alive():
                log.warning("retention cleanup did not stop in time; leaving it")
                return
        if self._db is not None:
            self._db.dispose()
