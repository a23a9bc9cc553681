"""Retention: finished jobs and unused documents past a cutoff, and the rows blobs hang on.

Rows only; :mod:`untxt.retention` deletes blobs once no row refers to them. A
*dry run* asks the same questions as if the rows a cleanup would delete were
gone already, so that its counts match a real run's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from untxt.db.models import (
    TERMINAL_STATUSES,
    BatchRow,
    DocumentRow,
    JobRow,
    ResultRow,
    TaskRow,
)
from untxt.search.index import remove_jobs

_TERMINAL = sorted(TERMINAL_STATUSES)


def _job_expired(cutoff: datetime) -> ColumnElement[bool]:
    """Finished (completed, failed, cancelled) before ``cutoff``; active jobs never are."""
    return and_(JobRow.status.in_(_TERMINAL), JobRow.finished_at < cutoff)


def _job_kept(cutoff: datetime) -> ColumnElement[bool]:
    """The negation of :func:`_job_expired`, spelled out so that NULLs count as kept."""
    return or_(
        JobRow.status.not_in(_TERMINAL), JobRow.finished_at.is_(None), JobRow.finished_at >= cutoff
    )


def _document_unused(cutoff: datetime, *, dry_run: bool) -> ColumnElement[bool]:
    """Created before ``cutoff`` and referred to by no job (in a dry run: by no kept job)."""
    jobs = select(JobRow.id).where(JobRow.document_id == DocumentRow.id)
    if dry_run:
        jobs = jobs.where(_job_kept(cutoff))
    return and_(DocumentRow.created_at < cutoff, ~exists(jobs))


def delete_expired_jobs(session: Session, *, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` jobs finished before ``cutoff``, oldest first, with their tasks
    and results; returns how many. Jobs another transaction holds are left for later."""
    ids = list(
        session.scalars(
            select(JobRow.id)
            .where(_job_expired(cutoff))
            .order_by(JobRow.finished_at, JobRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    session.execute(delete(ResultRow).where(ResultRow.job_id.in_(ids)))
    remove_jobs(session, ids)
    session.execute(delete(TaskRow).where(TaskRow.job_id.in_(ids)))
    session.execute(delete(JobRow).where(JobRow.id.in_(ids)))
    return len(ids)


def delete_unused_documents(session: Session, *, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` documents created before ``cutoff`` that no job refers to,
    soft-deleted or not, oldest first; returns how many."""
    unused = _document_unused(cutoff, dry_run=False)
    ids = list(
        session.scalars(
            select(DocumentRow.id)
            .where(unused)
            .order_by(DocumentRow.created_at, DocumentRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    # Checked again as it deletes: a job may have been submitted on one meanwhile.
    result = session.execute(delete(DocumentRow).where(DocumentRow.id.in_(ids), unused))
    return int(result.rowcount)  # type: ignore[attr-defined]


def count_expired_jobs(session: Session, *, cutoff: datetime) -> int:
    """How many jobs :func:`delete_expired_jobs` would delete, in all."""
    query = select(func.count()).select_from(JobRow).where(_job_expired(cutoff))
    return session.scalar(query) or 0


def count_unused_documents(session: Session, *, cutoff: datetime) -> int:
    """How many documents a cleanup would delete once it has deleted the expired jobs."""
    unused = _document_unused(cutoff, dry_run=True)
    return session.scalar(select(func.count()).select_from(DocumentRow).where(unused)) or 0


def referenced_blob_keys(
    session: Session, keys: Collection[str], *, dry_run_cutoff: datetime | None = None
) -> set[str]:
    """Those of ``keys`` that some document row refers to (in a dry run with that cutoff: a
    document the cleanup would keep). Documents of different owners may share a blob."""
    if not keys:
        return set()
    query = select(DocumentRow.blob_key).where(DocumentRow.blob_key.in_(keys))
    if dry_run_cutoff is not None:
        query = query.where(~_document_unused(dry_run_cutoff, dry_run=True))
    return set(session.scalars(query.distinct()))


def result_blob_keys(
    session: Session, keys: Collection[str], *, dry_run_cutoff: datetime | None = None
) -> set[str]:
    """Those of ``keys`` that some results row refers to (in a dry run with that cutoff: a
    result of a job the cleanup would keep). A job served from the result cache refers to
    the blobs of the job whose result it reused."""
    if not keys:
        return set()
    query = select(ResultRow.blob_key).where(ResultRow.blob_key.in_(keys))
    if dry_run_cutoff is not None:
        query = query.join(JobRow, JobRow.id == ResultRow.job_id).where(_job_kept(dry_run_cutoff))
    return set(session.scalars(query.distinct()))


def existing_job_ids(
    session: Session, job_ids: Collection[str], *, dry_run_cutoff: datetime | None = None
) -> set[str]:
    """Those of ``job_ids`` that have a job row (in a dry run with that cutoff: a job the
    cleanup would keep)."""
    if not job_ids:
        return set()
    query = select(JobRow.id).where(JobRow.id.in_(job_ids))
    if dry_run_cutoff is not None:
        query = query.where(_job_kept(dry_run_cutoff))
    return set(session.scalars(query))


def delete_empty_batches(session: Session, *, cutoff: datetime) -> int:
    """Delete batches created before ``cutoff`` whose jobs are all gone; returns how many."""
    jobs = select(JobRow.id).where(JobRow.batch_id == BatchRow.id)
    result = session.execute(delete(BatchRow).where(BatchRow.created_at < cutoff, ~exists(jobs)))
    return int(result.rowcount)  # type: ignore[attr-defined]
