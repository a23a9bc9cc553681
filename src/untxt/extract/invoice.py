"""Invoices: English and other Latin-script ones, and Vietnamese VAT invoices."""

from __future__ import annotations

import re
from typing import ClassVar

from untxt.extract import labels
from untxt.extract.base import DocumentType
from untxt.extract.common import Reader
from untxt.extract.header import issuer
from untxt.extract.items import read_items
from untxt.extract.model import Extraction, FieldValue
from untxt.extract.parties import after_label, customer, matching, text_field
from untxt.extract.receipt import specs
from untxt.extract.scores import keyword_score
from untxt.extract.totals import read_totals
from untxt.extract.vietnamese import is_vietnamese, read_vietnamese
from untxt.extract.view import DocumentView, grounded


def _label(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])")


INVOICE_ID = _label(
    r"invoice\s*(?:no|number|num|nr|#|id)\.?|inv\.?\s*(?:no|#)\.?|invoice\s*(?=:)|"
    r"rechnungs?\s*(?:nr|nummer)\.?|facture\s*n[°o]\.?|factura\s*n[°o]\.?|bill\s*(?:no|#)\.?"
)
INVOICE_DATE = _label(
    r"invoice\s*date|date\s*of\s*issue|issue\s*date|(?<!due\s)(?<!due)date|ngay|"
    r"rechnungsdatum|datum|date\s*de\s*facture|fecha"
)
DUE_DATE = _label(
    r"due\s*date|payment\s*due|date\s*due(?=\s*(?::|$))|due\s*on|due(?=\s*:)|pay\s*by|"
    r"han\s*thanh\s*toan|"
    r"fallig\w*|echeance|vencimiento"
)
PURCHASE_ORDER = _label(
    r"p\.?\s*o\.?\s*(?:no|number|#)\.?|purchase\s*order(?:\s*(?:no|number|#))?\.?|"
    r"order\s*(?:no|number|#)\.?|bestellnummer|bon\s*de\s*commande"
)
TERMS = _label(r"payment\s*terms|terms|zahlungsbedingungen|conditions\s*de\s*paiement")
DISCOUNT = _label(r"(?:total\s*)?discount|rabatt|remise|chiet\s*khau|giam\s*gia|descuento")
VENDOR = _label(r"(?:seller|vendor|supplier|from|bill\s*from)(?=\s*:)")
IBAN = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?)")
_CODE = re.compile(r"[A-Z0-9][\w\-/.]*", re.IGNORECASE)

_FIELDS = (
    ("VendorName", "string", "The business that issued the invoice."),
    ("VendorAddress", "string", "Its address, lines joined by spaces."),
    ("VendorTaxId", "string", "Its tax id (VAT number, MST...)."),
    ("CustomerName", "string", "Who is billed."),
    ("CustomerAddress", "string", "The billing address."),
    ("CustomerTaxId", "string", "The customer's tax id."),
    ("InvoiceId", "string", "The invoice's number."),
    ("InvoiceSeries", "string", "Vietnamese invoices: the serial (ký hiệu), or the form (mẫu số)."),
    ("InvoiceDate", "date", "Date of issue."),
    ("DueDate", "date", "When payment is due."),
    ("PurchaseOrder", "string", "The customer's purchase order number."),
    ("PaymentTerms", "string", "Terms or form of payment as printed (Net 30, TM/CK)."),
    ("SubTotal", "amount", "Before tax and discount."),
    ("TotalDiscount", "amount", "Discount granted."),
    ("TotalTax", "amount", "Tax charged."),
    ("TaxRate", "rate", "The tax rate, where the invoice prints one for all its lines."),
    ("InvoiceTotal", "amount", "Total of the invoice, tax included."),
    ("AmountDue", "amount", "What remains to pay."),
    ("AmountInWords", "string", "Vietnamese invoices: the total written in words."),
    ("Currency", "currency", "ISO 4217 code of the amounts."),
    ("IBAN", "string", "The account to pay into."),
)
_ITEM_FIELDS = (
    ("Description", "string", "What is billed."),
    ("ProductCode", "string", "Its code or SKU."),
    ("Quantity", "number", "How many."),
    ("Unit", "string", "Unit of the quantity."),
    ("UnitPrice", "amount", "Price of one unit."),
    ("TaxRate", "rate", "Tax rate of the line."),
    ("Amount", "amount", "Amount of the line."),
)


def read_invoice(view: DocumentView, kind: str) -> tuple[dict[str, FieldValue], Extraction]:
    """The invoice fields of ``view``, and an extraction of type ``kind`` holding them."""
    reader = Reader(view)
    found: dict[str, FieldValue | None] = {}
    if is_vietnamese(view):
        found.update(read_vietnamese(view))
    items = read_items(reader, kind="invoice")
    totals = read_totals(
        reader, names=("InvoiceTotal", "SubTotal", "TotalTax", "Tip"), items_sum=items.total
    )
    if "VendorName" not in found:
        vendor = text_field(after_label(view, VENDOR), "rule:vendor-label")
        party = issuer(view)
        found["VendorName"] = vendor or party.name
        found.setdefault("VendorAddress", party.address)
        found.setdefault("VendorTaxId", party.tax_id)
    if "CustomerName" not in found:
        name, address, tax_id = customer(view)
        found["CustomerName"] = name
        found.setdefault("CustomerAddress", address)
        found.setdefault("CustomerTaxId", tax_id)
    due = reader.date(DUE_DATE, "due-date")
    if due is not None and not due.source.startswith("rule:labelled"):
        due = None  # a due date is only ever read beside its label
    date = reader.date(INVOICE_DATE, "invoice-date")
    if date is not None and due is not None and date.words == due.words:
        date = None
    found.update(
        {
            "InvoiceId": found.get("InvoiceId") or _code_after(view, INVOICE_ID, "rule:invoice-id"),
            "InvoiceDate": date,
            "DueDate": due,
            "PurchaseOrder": _code_after(view, PURCHASE_ORDER, "rule:purchase-order"),
            "PaymentTerms": found.get("PaymentTerms")
            or text_field(after_label(view, TERMS), "rule:terms", 0.75),
            "SubTotal": totals.subtotal,
            "TotalTax": totals.tax,
            "InvoiceTotal": totals.total,
            "Currency": reader.currency_field() or found.get("Currency"),
            "IBAN": _iban(view),
        }
    )
    discounts = list(reader.labelled_money(DISCOUNT))
    if discounts:
        discount = reader.money_field(discounts[0], "rule:discount-label", 0.8)
        # Printed "-176.11" or "(176.11)": the discount granted is the amount itself.
        found["TotalDiscount"] = discount.model_copy(update={"value": abs(discount.value)})
    dues = list(reader.labelled_money(labels.AMOUNT_DUE))
    if dues:
        found["AmountDue"] = reader.money_field(dues[-1], "rule:amount-due-label", 0.85)
    fields = {name: value for name, value in found.items() if value is not None}
    extraction = Extraction(
        document_type=kind,
        type_confidence=1.0,
        fields={spec.name: fields[spec.name] for spec in Invoice.fields if spec.name in fields},
        items=items.rows,
        warnings=[*totals.warnings, *items.warnings],
    )
    return fields, extraction


def _code_after(view: DocumentView, label: re.Pattern[str], source: str) -> FieldValue | None:
    span = after_label(view, label, accept=matching(_CODE, digit=True))
    if span is None:
        return None
    return grounded([span], kind="string", value=span.text, source=source, certainty=0.85)


def _iban(view: DocumentView) -> FieldValue | None:
    for line in view.lines:
        if "iban" not in line.folded:
            continue
        match = IBAN.search(line.text.upper(), line.folded.index("iban"))
        if match:
            value = match.group(1).replace(" ", "")
            return grounded(
                [line.span(*match.span(1))],
                kind="string",
                value=value,
                source="rule:iban",
                certainty=0.9,
            )
    return None


class Invoice(DocumentType):
    """An invoice: vendor and customer, numbers and dates, totals, items."""

    name: ClassVar[str] = "invoice"
    fields = specs(_FIELDS)
    item_fields = specs(_ITEM_FIELDS)

    def score(self, view: DocumentView) -> float:
        return keyword_score(view, "invoice")

    def extract(self, view: DocumentView) -> Extraction:
        return read_invoice(view, "invoice")[1]
