"""The answer ``POST /v1/ask`` gives: the text, what it rests on, and what it cites."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from untxt.ask.answer import Grounds
from untxt.ask.facts import Computed
from untxt.ask.sources import Source


class LineOut(BaseModel):
    """A line of a page, or one extracted field, and the box around its words."""

    text: str
    page: int
    bbox: tuple[int, int, int, int] | None = Field(
        description="[x0, y0, x1, y1] in the page's result coordinates; none for a sum."
    )


class SourceOut(BaseModel):
    """A numbered source: a passage of a page, a document's fields, or a computed result."""

    ref: int = Field(description="The number the answer cites it by, as [ref].")
    kind: Literal["passage", "fields", "computed"]
    document_id: str | None
    job_id: str | None
    filename: str | None
    page: int | None = Field(description="1-based page of the first line.")
    page_size: tuple[int, int] | None
    lines: list[LineOut]
    links: dict[str, str]

    @classmethod
    def of(cls, source: Source) -> SourceOut:
        links: dict[str, str] = {}
        if source.job_id:
            links = {
                "job": f"/v1/jobs/{source.job_id}",
                "fields": f"/v1/jobs/{source.job_id}/fields",
                "result": f"/v1/jobs/{source.job_id}/result?format=json",
            }
        return cls(
            ref=source.ref,
            kind=source.kind,
            document_id=source.document_id,
            job_id=source.job_id,
            filename=source.filename,
            page=source.page,
            page_size=source.page_size,
            lines=[LineOut(text=ln.text, page=ln.page, bbox=ln.bbox) for ln in source.lines],
            links=links,
        )


class TotalOut(BaseModel):
    """The documents in one currency that a sum or count covered."""

    currency: str | None
    documents: int
    with_total: int = Field(description="Of them, those whose total could be read.")
    amount: float | None = Field(description="Sum of their totals, by the database.")


class RowOut(BaseModel):
    """A document that a sum, count or field answer used."""

    document_id: str
    job_id: str
    filename: str
    document_type: str
    vendor: str | None
    date: dt.date | None
    total: float | None
    currency: str | None


class ComputedOut(BaseModel):
    """What the database computed: the operation, over which documents, the rows used."""

    operation: Literal["sum", "count", "field"]
    document_types: list[str] | None
    utility: str | None
    vendors: list[str] | None = Field(description="Folded vendor names the question matched.")
    date_from: dt.date | None
    date_to: dt.date | None
    totals: list[TotalOut]
    field: str | None = Field(description="For a field question: the field's name.")
    value: object = Field(None, description="For a field question: its value.")
    rows: list[RowOut]
    rows_truncated: bool

    @classmethod
    def of(cls, computed: Computed) -> ComputedOut:
        scope = computed.scope
        return cls(
            operation=computed.operation,
            document_types=list(scope.types) if scope.types else None,
            utility=scope.utility,
            vendors=list(scope.vendor_keys) if scope.vendor_keys else None,
            date_from=scope.start,
            date_to=scope.end,
            totals=[
                TotalOut(
                    currency=t.currency,
                    documents=t.documents,
                    with_total=t.with_total,
                    amount=None if t.amount is None else float(t.amount),
                )
                for t in computed.totals
            ],
            field=computed.field_name,
            value=computed.field_value,
            rows=[
                RowOut(
                    document_id=r.document_id,
                    job_id=r.job_id,
                    filename=r.filename,
                    document_type=r.document_type,
                    vendor=r.vendor,
                    date=r.date,
                    total=None if r.total is None else float(r.total),
                    currency=r.currency,
                )
                for r in computed.rows
            ],
            rows_truncated=computed.documents > len(computed.rows),
        )


class AskAnswer(BaseModel):
    """An answer, and every source it could rest on; ``citations`` are those it names."""

    question: str
    language: str
    answer: str | None = Field(
        description="The answer; none when neither the fields nor a model answered."
    )
    answered_by: Literal["fields", "model", "none"] = Field(
        description="fields: computed by the database; model: the language model; none: only "
        "passages are returned."
    )
    model: str | None = None
    note: str | None = Field(None, description="Why there is no answer, when there is none.")
    computed: ComputedOut | None
    citations: list[SourceOut]
    sources: list[SourceOut]

    @classmethod
    def build(
        cls,
        question: str,
        language: str,
        grounds: Grounds,
        answer: str | None,
        answered_by: Literal["fields", "model", "none"],
        refs: list[int],
        *,
        model: str | None = None,
        note: str | None = None,
    ) -> AskAnswer:
        sources = [SourceOut.of(s) for s in grounds.sources]
        by_ref = {s.ref: s for s in sources}
        return cls(
            question=question,
            language=language,
            answer=answer,
            answered_by=answered_by,
            model=model,
            note=note,
            computed=ComputedOut.of(grounds.computed) if grounds.computed else None,
            citations=[by_ref[r] for r in refs if r in by_ref],
            sources=sources,
        )
