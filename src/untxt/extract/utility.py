"""Utility bills: electricity, water and telecom, read as invoices with a billing period."""

from __future__ import annotations

import re
from typing import ClassVar

from untxt.extract.base import DocumentType
from untxt.extract.dates import find_dates
from untxt.extract.invoice import Invoice, read_invoice
from untxt.extract.model import Extraction, FieldValue
from untxt.extract.parties import after_label, matching
from untxt.extract.receipt import specs
from untxt.extract.scores import keyword_score, utility_kind
from untxt.extract.view import DocumentView, grounded

ACCOUNT = re.compile(
    r"(?<![a-z])(?:account\s*(?:no|number|#)|customer\s*(?:no|number|id)|ma\s*khach\s*hang|"
    r"kundennummer|vertragskonto)\.?(?![a-z])"
)
PERIOD = re.compile(
    r"(?<![a-z])(?:billing\s*period|service\s*period|period|ky\s*(?:thanh\s*toan|hoa\s*don)|"
    r"abrechnungszeitraum|tu\s*ngay)(?![a-z])"
)
_ACCOUNT_VALUE = re.compile(r"[A-Z0-9][\w\-/]*\d[\w\-/]*", re.IGNORECASE)


class UtilityBill(DocumentType):
    """An electricity, water or telecom bill: an invoice with an account and a period."""

    name: ClassVar[str] = "utility_bill"
    fields = (
        specs(
            (
                ("AccountNumber", "string", "The customer's account with the utility."),
                ("ServiceStartDate", "date", "First day of the billing period."),
                ("ServiceEndDate", "date", "Last day of the billing period."),
            )
        )
        + Invoice.fields
    )
    item_fields = Invoice.item_fields

    def score(self, view: DocumentView) -> float:
        return keyword_score(view, "utility_bill")

    def extract(self, view: DocumentView) -> Extraction:
        fields, extraction = read_invoice(view, "utility_bill")
        extra: dict[str, FieldValue] = {}
        account = after_label(view, ACCOUNT, accept=matching(_ACCOUNT_VALUE))
        if account is not None:
            extra["AccountNumber"] = grounded(
                [account],
                kind="string",
                value=account.text,
                source="rule:account-label",
                certainty=0.85,
            )
        extra.update(_period(view))
        ordered = {**extra, **fields}
        return extraction.model_copy(
            update={
                "document_subtype": utility_kind(view),
                "fields": {s.name: ordered[s.name] for s in self.fields if s.name in ordered},
            }
        )


def _period(view: DocumentView) -> dict[str, FieldValue]:
    """The billing period: the first two dates on (or right after) its label's line."""
    for line in view.lines:
        match = PERIOD.search(line.folded)
        if match is None:
            continue
        dates = [d for d in find_dates(line.folded) if d.start >= match.start()]
        if len(dates) < 2:
            continue
        first, last = sorted(dates[:2], key=lambda d: d.value)
        return {
            name: grounded(
                [line.span(found.start, found.end)],
                kind="date",
                value=found.value.isoformat(),
                source="rule:billing-period",
                certainty=0.85,
            )
            for name, found in (("ServiceStartDate", first), ("ServiceEndDate", last))
        }
    return {}
