"""Jobs as clients see them: submit, read, list, cancel, delete, and their results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from untxt.db.extractions import copy_extraction
from untxt.db.models import (
    TERMINAL_STATUSES,
    DocumentRow,
    JobRow,
    ResultRow,
    TaskRow,
    snapshot,
    table_of,
)
from untxt.db.session import transaction
from untxt.db.templates import templates_digest
from untxt.errors import ConflictError, NotFoundError
from untxt.ids import new_id
from untxt.options import JobOptions
from untxt.queue import transitions
from untxt.queue.cache import cached_job, options_fingerprint, result_rows
from untxt.queue.notify import notify_in_transaction
from untxt.queue.outbox import record_event
from untxt.queue.submit_pg import submit_job
from untxt.queue.submit_sqlite import queue_job
from untxt.search.index import copy_index, remove_jobs
from untxt.tracing import with_carried

_INSERT_JOB = insert(table_of(JobRow))
_INSERT_TASK = insert(table_of(TaskRow))
_INSERT_RESULT = insert(table_of(ResultRow))
_COMPLETE_CACHED = update(table_of(JobRow)).where(table_of(JobRow).c.id == bindparam("job"))


@dataclass(frozen=True)
class JobPlan:
    """A new job's values that need no database, decided before its write transaction:
    on SQLite the write lock, which every API process waits for, is then held for the
    statements and little else (bench/README.md)."""

    id: str
    options: JobOptions
    #: The options as the jobs row stores them: the client's, and the submit's context.
    stored_options: dict[str, Any]
    engine_version: str | None
    #: ``None`` when the options extract fields: it then depends on the owner's
    #: templates, which the transaction reads.
    fingerprint: str | None


def plan_job(
    options: JobOptions,
    *,
    engine_version: str | None = None,
    carried: dict[str, str] | None = None,
) -> JobPlan:
    """The plan of a job with ``options`` (see :func:`enqueue_job` for the arguments)."""
    return JobPlan(
        id=new_id("job"),
        options=options,
        stored_options=with_carried(options.model_dump(mode="json"), carried or {}),
        engine_version=engine_version,
        fingerprint=None
        if options.extract
        else options_fingerprint(options, engine_version=engine_version),
    )


def enqueue_job(
    session: Session,
    *,
    owner: str,
    document: DocumentRow,
    options: JobOptions,
    max_attempts: int,
    now: datetime,
    batch_id: str | None = None,
    batch_index: int | None = None,
    engine_version: str | None = None,
    new_document: bool = False,
    carried: dict[str, str] | None = None,
) -> JobRow:
    """Create a queued job and one task per page (or a job done already), in the caller's
    transaction. ``carried`` (the submit's request id and trace context) is stored
    with the options, for the worker (see :mod:`untxt.tracing`).

    On PostgreSQL a job to run is one statement: the caller's write block may be one of
    ``one_statement`` (see :meth:`untxt.db.Database.write`) if it writes nothing else.

    A job of a batch gets the batch's id and its place in the batch. Unless
    ``options.no_cache``, a job that repeats a completed one of the owner (same
    document, same options, same ``engine_version``: see :mod:`untxt.queue.cache`) is
    created completed instead, with that job's results and no tasks; a
    ``new_document``, created in this transaction, has no such job to look for.
    """
    return enqueue_planned(
        session,
        plan_job(options, engine_version=engine_version, carried=carried),
        owner=owner,
        document=document,
        max_attempts=max_attempts,
        now=now,
        batch_id=batch_id,
        batch_index=batch_index,
        new_document=new_document,
    )


def enqueue_planned(
    session: Session,
    plan: JobPlan,
    *,
    owner: str,
    document: DocumentRow,
    max_attempts: int,
    now: datetime,
    batch_id: str | None = None,
    batch_index: int | None = None,
    new_document: bool = False,
) -> JobRow:
    """:func:`enqueue_job` of a job planned already (:func:`plan_job`); a plan makes
    one job at most."""
    options = plan.options
    fingerprint = plan.fingerprint
    if fingerprint is None:
        # Fields depend on the owner's templates: a job extracted with others is not reused.
        templates = templates_digest(session, owner=owner)
        fingerprint = options_fingerprint(
            options, engine_version=plan.engine_version, templates=templates
        )
    job_id = plan.id
    values = _job_values(
        plan,
        fingerprint,
        owner=owner,
        document=document,
        now=now,
        batch_id=batch_id,
        batch_index=batch_index,
    )
    # A document created in this transaction has no completed job to repeat.
    look_for_reuse = not options.no_cache and not new_document
    connection = session.connection()
    if connection.dialect.name == "postgresql" and submit_job(
        session, values, max_attempts=max_attempts, now=now, look_for_reuse=look_for_reuse
    ):
        return snapshot(JobRow, values)
    # Several statements from here: in a write block of one statement, they become one
    # transaction (the one statement above, if it ran, wrote nothing).
    transaction(session)
    reused = None
    if look_for_reuse:
        reused = cached_job(
            session,
            owner=owner,
            document_id=document.id,
            fingerprint=fingerprint,
            outputs=list(options.outputs),
        )
    if reused is None and connection.dialect.name == "sqlite":
        queue_job(session, values, max_attempts=max_attempts, now=now)
        return snapshot(JobRow, values)
    # Prebuilt Core statements: a submit is on the hot path, and building statements
    # and the ORM's unit of work cost more than the inserts. The row is a detached snapshot.
    connection.execute(_INSERT_JOB, values)
    record_event(session, type="job.queued", job_id=job_id, now=now)
    if reused is not None:
        # Queued, then completed at once: subscribers see the same two steps as ever.
        completed = {
            "status": "completed",
            "pages_done": document.pages,
            "started_at": now,
            "finished_at": now,
        }
        values.update(completed)
        connection.execute(_COMPLETE_CACHED.values(completed), {"job": job_id})
        reused_job, results = reused
        connection.execute(_INSERT_RESULT, result_rows(job_id, results, now))
        if options.extract:
            copy_extraction(session, from_job=reused_job, job_id=job_id, now=now)
        copy_index(session, from_job=reused_job, job_id=job_id)
        record_event(session, type="job.completed", job_id=job_id, now=now)
        return snapshot(JobRow, values)
    job = snapshot(JobRow, values)
    connection.execute(
        _INSERT_TASK,
        [
            {
                "job_id": job.id,
                "page": page,
                "status": "queued",
                "priority": options.priority,
                "run_after": now,
                "attempts": 0,
                "max_attempts": max_attempts,
                "created_at": now,
                "updated_at": now,
            }
            for page in range(1, document.pages + 1)
        ],
    )
    notify_in_transaction(session)
    return job


def enqueue_now(
    connection: Connection,
    plan: JobPlan,
    *,
    owner: str,
    document: DocumentRow,
    max_attempts: int,
    now: datetime,
) -> JobRow | None:
    """:func:`enqueue_planned` in one statement on a connection whose statements commit
    on their own (PostgreSQL, :meth:`untxt.db.Database.statements`): the queued job,
    committed. ``None``, having written nothing, where a job takes more than that
    statement (its fields depend on the owner's templates, or the owner has a completed
    job of the same document and options to reuse): the caller then enqueues it in a
    write block."""
    if plan.fingerprint is None:
        return None
    values = _job_values(plan, plan.fingerprint, owner=owner, document=document, now=now)
    queued = submit_job(
        connection,
        values,
        max_attempts=max_attempts,
        now=now,
        look_for_reuse=not plan.options.no_cache,
    )
    return snapshot(JobRow, values) if queued else None


def _job_values(
    plan: JobPlan,
    fingerprint: str,
    *,
    owner: str,
    document: DocumentRow,
    now: datetime,
    batch_id: str | None = None,
    batch_index: int | None = None,
) -> dict[str, Any]:
    """The jobs row of a new queued job."""
    return {
        "id": plan.id,
        "owner": owner,
        "document_id": document.id,
        "status": "queued",
        "priority": plan.options.priority,
        "options": plan.stored_options,
        "pages_total": document.pages,
        "pages_done": 0,
        "attempts": 0,
        "cancel_requested": False,
        "created_at": now,
        "updated_at": now,
        "batch_id": batch_id,
        "batch_index": batch_index,
        "options_fingerprint": fingerprint,
    }


def get_job(session: Session, *, owner: str, job_id: str) -> JobRow:
    """The caller's job ``job_id``; raises :class:`NotFoundError`."""
    job = session.scalar(select(JobRow).where(JobRow.id == job_id, JobRow.owner == owner))
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")
    return job


def get_job_document(
    session: Session, *, owner: str, job_id: str
) -> tuple[JobRow, DocumentRow, str | None]:
    """The caller's job, its document (soft-deleted or not), and the blob key of its
    ``json`` result if it has one; raises :class:`NotFoundError`."""
    row = session.execute(
        select(JobRow, DocumentRow, ResultRow.blob_key)
        .join(DocumentRow, DocumentRow.id == JobRow.document_id)
        .outerjoin(ResultRow, and_(ResultRow.job_id == JobRow.id, ResultRow.format == "json"))
        .where(JobRow.id == job_id, JobRow.owner == owner)
    ).first()
    if row is None:
        raise NotFoundError(f"no job {job_id!r}")
    job, document, json_key = row
    return job, document, json_key


def cancel_job(session: Session, *, owner: str, job_id: str, now: datetime) -> JobRow:
    """Cancel the caller's job; cancelling a cancelled job is a no-op, a finished one a conflict."""
    job = get_job(session, owner=owner, job_id=job_id)
    if job.status == "cancelled":
        return job
    if job.status in TERMINAL_STATUSES:
        raise ConflictError(f"job {job_id} is already {job.status}")
    transitions.cancel_job(session, job_id, now=now)
    session.refresh(job)
    if job.status in TERMINAL_STATUSES and job.status != "cancelled":
        # It finished while we asked; the write session rolls the cancel back.
        raise ConflictError(f"job {job_id} is already {job.status}")
    return job


def delete_job(session: Session, *, owner: str, job_id: str) -> list[str]:
    """Delete a finished job and its rows; its blobs are the caller's to delete.

    Returns the blob keys its results rows held: a job served from the result cache
    holds another job's blobs, which go once no results row refers to them.
    """
    job = get_job(session, owner=owner, job_id=job_id)
    if job.status not in TERMINAL_STATUSES:
        raise ConflictError(f"job {job_id} is {job.status}; cancel it before deleting it")
    keys = list(session.scalars(select(ResultRow.blob_key).where(ResultRow.job_id == job_id)))
    session.execute(delete(ResultRow).where(ResultRow.job_id == job_id))
    remove_jobs(session, [job_id])
    session.execute(delete(TaskRow).where(TaskRow.job_id == job_id))
    session.execute(delete(JobRow).where(JobRow.id == job_id))
    return keys


def get_result(session: Session, *, owner: str, job_id: str, format: str) -> ResultRow:
    """The stored result of a completed job in ``format``."""
    job = get_job(session, owner=owner, job_id=job_id)
    if job.status != "completed":
        raise ConflictError(f"job {job_id} is {job.status}; results exist once it is completed")
    result = session.get(ResultRow, (job_id, format))
    if result is None:
        stored = session.scalars(select(ResultRow.format).where(ResultRow.job_id == job_id))
        raise NotFoundError(
            f"job {job_id} has no {format!r} result; it stored: {', '.join(stored) or 'none'}"
        )
    return result
