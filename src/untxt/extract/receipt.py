"""Receipts: what a shop or restaurant hands over at the till."""

from __future__ import annotations

from typing import ClassVar

from untxt.extract import labels
from untxt.extract.base import DocumentType
from untxt.extract.common import Reader
from untxt.extract.header import issuer
from untxt.extract.items import read_items
from untxt.extract.model import Extraction, FieldSpec, FieldValue
from untxt.extract.scores import keyword_score
from untxt.extract.totals import read_totals
from untxt.extract.view import DocumentView

_FIELDS = (
    ("MerchantName", "string", "The business that issued the receipt."),
    ("MerchantAddress", "string", "Its address, lines joined by spaces."),
    ("MerchantPhone", "phone", "Its phone number."),
    ("MerchantTaxId", "string", "Its tax registration (GST, VAT, MST...)."),
    ("TransactionDate", "date", "When the purchase was made."),
    ("TransactionTime", "time", "Time of the purchase."),
    ("ReceiptNumber", "string", "The receipt's (or bill's, invoice's) own number."),
    ("Subtotal", "amount", "Before tax, tip or rounding, where printed."),
    ("TotalTax", "amount", "Tax charged."),
    ("Tip", "amount", "Tip or gratuity."),
    ("Total", "amount", "The amount paid."),
    ("PaymentMethod", "string", "Cash, Card, Transfer or E-wallet."),
    ("Currency", "currency", "ISO 4217 code of the amounts."),
)
_ITEM_FIELDS = (
    ("Description", "string", "What was bought."),
    ("Quantity", "number", "How many."),
    ("Price", "amount", "Price of one."),
    ("TotalPrice", "amount", "Price of the line."),
)


def specs(rows: tuple[tuple[str, str, str], ...]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(name=n, kind=k, description=d) for n, k, d in rows)


class Receipt(DocumentType):
    """A receipt: merchant, date and time, totals, payment, items."""

    name: ClassVar[str] = "receipt"
    fields = specs(_FIELDS)
    item_fields = specs(_ITEM_FIELDS)

    def score(self, view: DocumentView) -> float:
        return keyword_score(view, "receipt")

    def extract(self, view: DocumentView) -> Extraction:
        reader = Reader(view)
        party = issuer(view)
        items = read_items(reader, kind="receipt")
        totals = read_totals(
            reader, names=("Total", "Subtotal", "TotalTax", "Tip"), items_sum=items.total
        )
        date = reader.date()
        found: dict[str, FieldValue | None] = {
            "MerchantName": party.name,
            "MerchantAddress": party.address,
            "MerchantPhone": party.phone,
            "MerchantTaxId": party.tax_id,
            "TransactionDate": date,
            "TransactionTime": reader.time(date),
            "ReceiptNumber": reader.labelled_number(labels.NUMBER_LABEL, "rule:receipt-number"),
            "Subtotal": totals.subtotal,
            "TotalTax": totals.tax,
            "Tip": totals.tip,
            "Total": totals.total,
            "PaymentMethod": reader.payment_method(totals.total_line or 0),
            "Currency": reader.currency_field(),
        }
        return Extraction(
            document_type="receipt",
            type_confidence=1.0,
            fields={name: value for name, value in found.items() if value is not None},
            items=items.rows,
            warnings=[*totals.warnings, *items.warnings],
        )
