"""What a worker reads to run a task: its job and document, and a job's recognised pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from untxt.db.models import DocumentRow, table_of
from untxt.queue.statements import JOBS, TASKS, run

DOCUMENTS = table_of(DocumentRow)

_JOB_WORK = (
    select(
        JOBS.c.owner,
        JOBS.c.options,
        JOBS.c.pages_total,
        JOBS.c.started_at,
        DOCUMENTS.c.blob_key,
        DOCUMENTS.c.media_type,
        DOCUMENTS.c.filename,
    )
    .join(DOCUMENTS, DOCUMENTS.c.id == JOBS.c.document_id)
    .where(JOBS.c.id == bindparam("job"))
)

_PAGE_RESULTS = (
    select(TASKS.c.page, TASKS.c.result_key)
    .where(TASKS.c.job_id == bindparam("job"), TASKS.c.page > 0)
    .order_by(TASKS.c.page)
)


@dataclass(frozen=True)
class JobWork:
    """A job as its tasks need it: its options as stored, and where its document is."""

    owner: str
    #: The options as stored, the submit's carried context among them.
    options: dict[str, Any]
    pages_total: int
    #: When the job's first page was claimed.
    started_at: datetime | None
    blob_key: str
    media_type: str
    filename: str


def job_work(session: Session, job_id: str) -> JobWork:
    """What the tasks of job ``job_id`` need to know of it and its document."""
    row = run(session, _JOB_WORK, job=job_id).one()
    return JobWork(**row._mapping)


def page_result_keys(session: Session, job_id: str) -> list[str]:
    """Blob keys of a job's recognised pages, in page order."""
    rows = run(session, _PAGE_RESULTS, job=job_id).all()
    missing = [row.page for row in rows if not row.result_key]
    if missing:
        raise RuntimeError(f"job {job_id} has unrecognised pages: {missing}")
    return [row.result_key for row in rows]
