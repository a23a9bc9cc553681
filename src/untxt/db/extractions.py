"""Extractions: the fields of completed jobs, corrections by hand, lists of invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from untxt.db.models import ExtractionRow, FieldCorrectionRow, JobRow, table_of
from untxt.db.types import utc_param
from untxt.errors import ConflictError, NotFoundError
from untxt.extract.corrections import Applied, apply_corrections, check_corrections, summarize
from untxt.extract.model import Extraction
from untxt.extract.view import fold

EXTRACTIONS = table_of(ExtractionRow)
CORRECTIONS = table_of(FieldCorrectionRow)
JOBS = table_of(JobRow)
#: The types listed as invoices (bills and receipts too: whatever has a vendor and a total).
LISTED_TYPES = ("receipt", "invoice", "utility_bill")

_now = utc_param("now")
_COLUMNS = (
    "job_id",
    "owner",
    "document_id",
    "document_type",
    "field_names",
    "data",
    "vendor",
    "vendor_key",
    "document_date",
    "total",
    "currency",
    "created_at",
    "updated_at",
)
#: The job's owner and document come from its row, in the completing transaction.
_INSERT = insert(EXTRACTIONS).from_select(
    list(_COLUMNS),
    select(
        JOBS.c.id,
        JOBS.c.owner,
        JOBS.c.document_id,
        bindparam("document_type"),
        bindparam("field_names", type_=EXTRACTIONS.c.field_names.type),
        bindparam("data", type_=EXTRACTIONS.c.data.type),
        bindparam("vendor"),
        bindparam("vendor_key"),
        bindparam("document_date", type_=EXTRACTIONS.c.document_date.type),
        bindparam("total", type_=EXTRACTIONS.c.total.type),
        bindparam("currency"),
        _now,
        _now,
    ).where(JOBS.c.id == bindparam("job")),
)
_EVENT_FIELDS = select(EXTRACTIONS.c.document_type, EXTRACTIONS.c.field_names).where(
    EXTRACTIONS.c.job_id == bindparam("job")
)
_DATA = select(EXTRACTIONS.c.data).where(EXTRACTIONS.c.job_id == bindparam("job"))


def _summary_values(extraction: Extraction) -> dict[str, Any]:
    summary = summarize(extraction)
    return {
        "document_type": extraction.document_type,
        "field_names": extraction.field_names(),
        "vendor": summary.vendor,
        "vendor_key": summary.vendor_key,
        "document_date": summary.document_date,
        "total": summary.total,
        "currency": summary.currency,
    }


def store_extraction(session: Session, *, job_id: str, data: dict[str, Any], now: datetime) -> None:
    """Keep the fields of job ``job_id`` (in the transaction that completes it)."""
    extraction = Extraction.model_validate(data)
    session.execute(
        _INSERT, {"job": job_id, "data": data, "now": now, **_summary_values(extraction)}
    )


def copy_extraction(session: Session, *, from_job: str, job_id: str, now: datetime) -> None:
    """Give ``job_id`` (answered from the result cache) the fields ``from_job`` extracted,
    without the corrections made to them."""
    data = session.execute(_DATA, {"job": from_job}).scalar_one_or_none()
    if data is not None:
        store_extraction(session, job_id=job_id, data=data, now=now)


def event_fields(session: Session, job_id: str) -> tuple[str, list[str]] | None:
    """The document type and field names of a job's extraction, for its events."""
    row = session.execute(_EVENT_FIELDS, {"job": job_id}).one_or_none()
    return (row.document_type, list(row.field_names)) if row is not None else None


def _row(session: Session, *, owner: str, job_id: str) -> ExtractionRow:
    job = session.execute(
        select(JOBS.c.status, JOBS.c.options).where(JOBS.c.id == job_id, JOBS.c.owner == owner)
    ).one_or_none()
    if job is None:
        raise NotFoundError(f"no job {job_id!r}")
    row = session.get(ExtractionRow, job_id)
    if row is None:
        if job.status != "completed":
            raise ConflictError(f"job {job_id} is {job.status}; fields exist once it is completed")
        if not (job.options or {}).get("extract"):
            raise NotFoundError(
                f"job {job_id} extracted no fields: submit it with the option "
                '"extract": ["auto"] (or a document type)'
            )
        raise NotFoundError(f"job {job_id} has no fields")
    return row


def _corrections(session: Session, job_id: str) -> list[Applied]:
    rows = session.execute(
        select(CORRECTIONS).where(CORRECTIONS.c.job_id == job_id).order_by(CORRECTIONS.c.id)
    ).all()
    return [Applied(r.path, r.value, r.corrected_by, r.corrected_at) for r in rows]


def get_extraction(session: Session, *, owner: str, job_id: str) -> Extraction:
    """The caller's job's fields, corrections applied."""
    row = _row(session, owner=owner, job_id=job_id)
    return apply_corrections(Extraction.model_validate(row.data), _corrections(session, job_id))


def extraction_data(session: Session, job_id: str) -> dict[str, Any] | None:
    """A job's fields as served (corrections applied), or ``None`` when it has none."""
    row = session.get(ExtractionRow, job_id)
    if row is None:
        return None
    extraction = Extraction.model_validate(row.data)
    return apply_corrections(extraction, _corrections(session, job_id)).dump()


def correct_fields(
    session: Session, *, owner: str, job_id: str, changes: dict[str, Any], by: str, now: datetime
) -> Extraction:
    """Record corrections by ``by``; returns the fields with them applied.

    Raises :class:`untxt.extract.corrections.CorrectionError` for a path that names no
    field or a value of the wrong kind; nothing is recorded then.
    """
    row = _row(session, owner=owner, job_id=job_id)
    current = apply_corrections(Extraction.model_validate(row.data), _corrections(session, job_id))
    # A new type first, so that fields of that type can be set in the same request.
    ordered = dict(sorted(changes.items(), key=lambda kv: kv[0] != "document_type"))
    checked: dict[str, Any] = {}
    for path, value in ordered.items():
        step = check_corrections(current, {path: value})
        checked.update(step)
        current = apply_corrections(current, [Applied(path, step[path], by, now)])
    session.execute(
        insert(CORRECTIONS),
        [
            {
                "job_id": job_id,
                "path": path,
                "value": value,
                "corrected_by": by,
                "corrected_at": now,
            }
            for path, value in checked.items()
        ],
    )
    session.execute(
        update(EXTRACTIONS)
        .where(EXTRACTIONS.c.job_id == job_id)
        .values(updated_at=now, **_summary_values(current))
    )
    return current


@dataclass(frozen=True)
class InvoiceFilter:
    """What ``GET /v1/invoices`` narrows the list by."""

    type: str | None = None
    vendor: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    total_min: Decimal | None = None
    total_max: Decimal | None = None
    currency: str | None = None


def list_invoices(
    session: Session,
    *,
    owner: str | None,
    filters: InvoiceFilter,
    limit: int,
    before: str | None = None,
) -> list[ExtractionRow]:
    """The owner's (``None``: everyone's) invoices and receipts, newest job first."""
    query = select(ExtractionRow).where(ExtractionRow.document_type.in_(LISTED_TYPES))
    if owner is not None:
        query = query.where(ExtractionRow.owner == owner)
    if filters.type:
        query = query.where(ExtractionRow.document_type == filters.type)
    if filters.vendor:
        pattern = "%" + _escape_like(fold(filters.vendor)) + "%"
        query = query.where(ExtractionRow.vendor_key.like(pattern, escape="\\"))
    if filters.date_from:
        query = query.where(ExtractionRow.document_date >= filters.date_from)
    if filters.date_to:
        query = query.where(ExtractionRow.document_date <= filters.date_to)
    if filters.total_min is not None:
        query = query.where(ExtractionRow.total >= filters.total_min)
    if filters.total_max is not None:
        query = query.where(ExtractionRow.total <= filters.total_max)
    if filters.currency:
        query = query.where(ExtractionRow.currency == filters.currency.upper())
    if before:
        query = query.where(ExtractionRow.job_id < before)
    query = query.order_by(ExtractionRow.job_id.desc()).limit(limit)
    return list(session.scalars(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
