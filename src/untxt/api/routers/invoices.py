"""``/v1/invoices``: every invoice, bill and receipt the caller's jobs extracted, filtered."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from untxt.api.deps import NO_CONTROL_CHARACTERS, PrincipalDep, StateDep
from untxt.auth import PermissionDeniedError
from untxt.db.extractions import InvoiceFilter, list_invoices
from untxt.db.models import ExtractionRow

router = APIRouter(tags=["fields"])

_CSV_COLUMNS = (
    "job_id",
    "document_id",
    "document_type",
    "vendor",
    "date",
    "total",
    "currency",
    "updated_at",
)


class InvoiceOut(BaseModel):
    """One extracted invoice, bill or receipt: what lists show; the rest is in its fields."""

    job_id: str
    document_id: str
    document_type: str
    vendor: str | None = Field(description="MerchantName or VendorName, corrections applied.")
    date: dt.date | None = Field(description="TransactionDate or InvoiceDate.")
    total: float | None = Field(description="Total or InvoiceTotal.")
    currency: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    links: dict[str, str]

    @classmethod
    def of(cls, row: ExtractionRow) -> InvoiceOut:
        return cls(
            job_id=row.job_id,
            document_id=row.document_id,
            document_type=row.document_type,
            vendor=row.vendor,
            date=row.document_date,
            total=float(row.total) if row.total is not None else None,
            currency=row.currency,
            created_at=row.created_at,
            updated_at=row.updated_at,
            links={
                "job": f"/v1/jobs/{row.job_id}",
                "fields": f"/v1/jobs/{row.job_id}/fields",
                "document": f"/v1/documents/{row.document_id}",
            },
        )


class InvoiceList(BaseModel):
    items: list[InvoiceOut]
    next_cursor: str | None


def _csv(items: list[InvoiceOut]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_CSV_COLUMNS)
    for item in items:
        writer.writerow(
            [
                item.job_id,
                item.document_id,
                item.document_type,
                item.vendor or "",
                item.date.isoformat() if item.date else "",
                f"{item.total:.2f}" if item.total is not None else "",
                item.currency or "",
                item.updated_at.isoformat(),
            ]
        )
    return out.getvalue()


@router.get(
    "/v1/invoices",
    response_model=InvoiceList,
    responses={200: {"content": {"text/csv": {}}}},
)
def invoices(
    state: StateDep,
    principal: PrincipalDep,
    type: Literal["receipt", "invoice", "utility_bill"] | None = None,
    vendor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_CONTROL_CHARACTERS,
            description="Part of the vendor's name; case and accents do not matter.",
        ),
    ] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    total_min: Annotated[Decimal | None, Query(ge=-1e15, le=1e15)] = None,
    total_max: Annotated[Decimal | None, Query(ge=-1e15, le=1e15)] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=64, pattern=NO_CONTROL_CHARACTERS, description="next_cursor of the last page"
        ),
    ] = None,
    all: Annotated[bool, Query(description="Every owner's (admins only).")] = False,
    format: Literal["json", "csv"] = "json",
) -> InvoiceList | Response:
    """The caller's extracted invoices and receipts, newest first, filtered; ``format=csv``
    exports the page."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("listing every owner's invoices needs an admin account")
    filters = InvoiceFilter(
        type=type,
        vendor=vendor,
        date_from=date_from,
        date_to=date_to,
        total_min=total_min,
        total_max=total_max,
        currency=currency,
    )
    with state.db.read() as session:
        rows = list_invoices(
            session,
            owner=None if all else principal.owner,
            filters=filters,
            limit=limit,
            before=cursor,
        )
    items = [InvoiceOut.of(row) for row in rows]
    if format == "csv":
        return Response(_csv(items), media_type="text/csv; charset=utf-8")
    cursor_out = rows[-1].job_id if len(rows) == limit else None
    return InvoiceList(items=items, next_cursor=cursor_out)
