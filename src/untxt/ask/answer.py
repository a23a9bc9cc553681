"""A question's grounds, gathered in one read: what the data answers directly, and sources.

A sum, count or field is answered directly only when every word of the question is
accounted for (by the operation, a period, a kind of document, a vendor the caller has
documents from, or words that carry no subject). "How much did we spend on printer
paper?" names something that no extracted field holds, so it gets passages, not the
sum of every invoice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from untxt.ask.facts import Computed, computed_text
from untxt.ask.intent import Intent, read_question
from untxt.ask.periods import Period
from untxt.ask.sources import Line, Source, field_source, passages
from untxt.db.extractions import extraction_data
from untxt.db.field_totals import (
    FieldScope,
    latest_year_of_month,
    rows,
    totals,
    vendor_keys,
)
from untxt.search.text import folded_words

#: Pages retrieved as passages for one question.
PASSAGES = 5
#: Documents of a sum or count shown (and given to a model) with their fields.
ROWS_SHOWN = 10
#: Documents of a sum or count listed as the rows used.
ROWS_LISTED = 200

# Words a question may hold besides its subject without asking about anything else.
_NEUTRAL = frozenset(
    """between within during since until before after issued issue sold bought buy
    purchased date dated day vendor vendors store shop supplier merchant company
    companies document documents scan scans file files altogether overall together
    receipt receipts invoice invoices bill bills utility utilities electricity electric
    power kwh water phone mobile internet broadband telecom telecoms due id tax code mst
    ma ve mua ban xuat bien lai dien nuoc thoai vien thong cuoc le hang nha cung cap ty
    cong tat ca moi ky hom han chot""".split()  # noqa: SIM905
)
# Parts of company names that say nothing about which company.
_LEGAL = frozenset(
    """co ltd inc llc plc gmbh corp corporation company sdn bhd pte jsc cong ty tnhh cp the
    and of store shop enterprise enterprises group trading limited""".split()  # noqa: SIM905
)
_FIELD_NAMES = {
    "date": ("InvoiceDate", "TransactionDate"),
    "due_date": ("DueDate",),
    "vendor": ("VendorName", "MerchantName"),
    "invoice_id": ("InvoiceId", "ReceiptNumber"),
    "tax_id": ("VendorTaxId", "MerchantTaxId"),
}


@dataclass
class Grounds:
    """Everything an answer may use: the question read, a computed result, the sources."""

    intent: Intent
    computed: Computed | None
    sources: list[Source]


def _vendors(session: Session, owner: str, words: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """The caller's vendor names that a word of the question names, and those words."""
    wanted = {w for w in words if len(w) >= 3 and not w.isdigit() and w not in _NEUTRAL}
    if not wanted:
        return [], set()
    found: list[str] = []
    used: set[str] = set()
    for key in vendor_keys(session, owner):
        common = wanted & (set(folded_words(key)) - _LEGAL)
        if common:
            found.append(key)
            used |= common
    return found, used


def _scope(
    session: Session, intent: Intent, owner: str, documents: tuple[str, ...] | None
) -> tuple[FieldScope, Period | None, list[str], bool]:
    """The documents the question is about, its period and vendors; whether its every
    word is accounted for."""
    vendors, used = _vendors(session, owner, intent.words)
    unexplained = [w for w in intent.words if w not in used and w not in _NEUTRAL]
    period = intent.period
    scope = FieldScope(
        owner=owner,
        types=intent.types,
        utility=intent.utility,
        vendor_keys=tuple(vendors) if vendors else None,
        start=period.start if period else None,
        end=period.end if period else None,
        document_ids=documents,
    )
    if period is not None and period.month is not None:
        year = latest_year_of_month(session, scope, period.month)
        if year is not None and year != period.start.year:
            period = period.in_year(year)
            scope = replace(scope, start=period.start, end=period.end)
    return scope, period, vendors, not unexplained


def _field_value(data: dict[str, object], wanted: str) -> tuple[str, object] | None:
    fields = data.get("fields")
    if not isinstance(fields, dict):
        return None
    for name in _FIELD_NAMES[wanted]:
        value = fields.get(name)
        if isinstance(value, dict) and value.get("value") is not None:
            return name, value["value"]
    return None


def _compute(
    session: Session,
    intent: Intent,
    scope: FieldScope,
    period: Period | None,
    vendors: list[str],
) -> Computed | None:
    assert intent.operation is not None
    computed = Computed(intent.operation, scope, intent, period, vendors)
    if intent.operation == "field":
        assert intent.field is not None
        found = rows(session, scope, limit=2)
        if len(found) != 1:  # none, or which one of several: passages will say
            return None
        data = extraction_data(session, found[0].job_id) or found[0].data
        value = _field_value(data, intent.field)
        if value is None:
            return None
        computed.rows = [replace(found[0], data=data)]
        computed.field_name, computed.field_value = value
        return computed
    computed.totals = totals(session, scope)
    computed.rows = rows(session, scope, limit=ROWS_LISTED)
    return computed


def _row_sources(session: Session, computed: Computed) -> list[Source]:
    out: list[Source] = []
    for row in computed.rows[:ROWS_SHOWN]:
        data = extraction_data(session, row.job_id) or row.data
        source = field_source(
            data, job_id=row.job_id, document_id=row.document_id, filename=row.filename
        )
        if source is not None:
            out.append(source)
    return out


def gather(
    session: Session,
    question: str,
    *,
    owner: str,
    document_ids: tuple[str, ...] | None,
    today: dt.date,
) -> Grounds:
    """Read ``question`` and gather its grounds from ``owner``'s documents."""
    intent = read_question(question, today=today)
    computed = None
    if intent.operation is not None:
        scope, period, vendors, explained = _scope(session, intent, owner, document_ids)
        if explained:
            computed = _compute(session, intent, scope, period, vendors)
    sources: list[Source] = []
    if computed is not None:
        text = computed_text(computed, "en")
        sources.append(Source(kind="computed", lines=[Line(text, 1, None)]))
        sources.extend(_row_sources(session, computed))
    seen = {(s.document_id, s.page) for s in sources if s.kind == "passage"}
    for passage in passages(
        session, intent.words, owner=owner, document_ids=document_ids, limit=PASSAGES
    ):
        if (passage.document_id, passage.page) not in seen:
            sources.append(passage)
    for ref, source in enumerate(sources, 1):
        source.ref = ref
    return Grounds(intent, computed, sources)
