"""Corrections by hand: checking a value against its field, applying it, and the summary.

A correction replaces a field's value wherever it is served afterwards; the value
as extracted stays beside it (``correction.extracted_value``), and the words it was
read from stay too, so a corrected field still points at its place on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from untxt.extract.amounts import ISO_CURRENCIES
from untxt.extract.model import Correction, Extraction, FieldKind, FieldValue, Item
from untxt.extract.registry import document_types
from untxt.extract.view import fold

#: Where each type keeps what lists of invoices show: vendor, date, total.
SUMMARY_FIELDS = {
    "receipt": ("MerchantName", "TransactionDate", "Total"),
    "invoice": ("VendorName", "InvoiceDate", "InvoiceTotal"),
    "utility_bill": ("VendorName", "InvoiceDate", "InvoiceTotal"),
}
DOCUMENT_TYPE = "document_type"
_ITEM_PATH = re.compile(r"^Items/(\d{1,4})/(\w{1,64})$")
_TYPES = ("receipt", "invoice", "utility_bill", "other")


class CorrectionError(ValueError):
    """A correction that names no field of the document, or a value of the wrong kind."""


@dataclass(frozen=True)
class Applied:
    """One correction as stored."""

    path: str
    value: Any
    by: str
    at: datetime


@dataclass(frozen=True)
class Summary:
    """What a list of invoices shows of one extraction."""

    vendor: str | None
    vendor_key: str | None
    document_date: date | None
    total: Decimal | None
    currency: str | None


def _kinds(extraction: Extraction, path: str) -> FieldKind:
    """The kind of value the field at ``path`` takes."""
    match = _ITEM_PATH.match(path)
    kind = document_types().get(extraction.document_type)
    if match:
        index, name = int(match[1]), match[2]
        if index >= len(extraction.items):
            raise CorrectionError(f"{path}: the document has {len(extraction.items)} items")
        present = extraction.items[index].get(name)
        specs = kind.item_fields if kind else ()
    else:
        name, present = path, extraction.fields.get(path)
        specs = kind.fields if kind else ()
    if present is not None:
        return present.type
    for spec in specs:
        if spec.name == name:
            return spec.kind
    known = ", ".join(s.name for s in specs) or "none for this type"
    raise CorrectionError(f"{path}: not a field of a {extraction.document_type} (fields: {known})")


def _parsed(kind: type[date] | type[time], value: Any, form: str) -> date | time:
    """``value`` read as a date or time in ISO form; ValueError in words otherwise."""
    try:
        return kind.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not {form}") from None


def check_value(kind: FieldKind, value: Any, path: str) -> Any:
    """``value`` in the field's typed form, or :class:`CorrectionError`; ``None`` clears it."""
    if value is None:
        return None
    try:
        if kind == "date":
            return _parsed(date, value, "a date as YYYY-MM-DD").isoformat()
        if kind == "time":
            return _parsed(time, value, "a time as HH:MM or HH:MM:SS").isoformat()
        if kind in ("amount", "number"):
            if isinstance(value, bool):
                raise ValueError("a number is needed")
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                # Decimal's own message names only its signal class.
                raise ValueError(f"{value!r} is not a number (write it as 1234.50)") from None
            if not number.is_finite():
                raise ValueError("a finite number is needed")
            return float(number)
        if kind == "currency":
            code = str(value).upper()
            if code not in ISO_CURRENCIES:
                raise ValueError(f"{value!r} is not an ISO 4217 code untxt knows")
            return code
    except (ValueError, InvalidOperation) as exc:
        raise CorrectionError(f"{path}: {exc}") from None
    if not isinstance(value, str) or len(value) > 1000:
        raise CorrectionError(f"{path}: a text of at most 1000 characters is needed")
    return value


def check_corrections(extraction: Extraction, changes: dict[str, Any]) -> dict[str, Any]:
    """The ``changes`` (path -> value) in typed form, checked against the extraction."""
    checked: dict[str, Any] = {}
    for path, value in changes.items():
        if path == DOCUMENT_TYPE:
            if value not in _TYPES:
                raise CorrectionError(f"document_type: one of {', '.join(_TYPES)}")
            checked[path] = value
            continue
        checked[path] = check_value(_kinds(extraction, path), value, path)
    return checked


def apply_corrections(extraction: Extraction, corrections: Iterable[Applied]) -> Extraction:
    """The extraction with each correction applied, in the order given (later wins)."""
    fields = dict(extraction.fields)
    items = [dict(item) for item in extraction.items]
    document_type = extraction.document_type
    for correction in corrections:
        if correction.path == DOCUMENT_TYPE:
            document_type = correction.value
            continue
        match = _ITEM_PATH.match(correction.path)
        if match:
            index = int(match[1])
            if index >= len(items):
                continue
            _set(items[index], match[2], correction, extraction, correction.path)
        else:
            _set(fields, correction.path, correction, extraction, correction.path)
    return extraction.model_copy(
        update={"fields": fields, "items": items, "document_type": document_type}
    )


def _set(
    target: dict[str, FieldValue] | Item,
    name: str,
    correction: Applied,
    extraction: Extraction,
    path: str,
) -> None:
    current = target.get(name)
    original = current.correction if current is not None and current.correction else None
    extracted_value = (
        original.extracted_value if original else current.value if current is not None else None
    )
    extracted_content = (
        original.extracted_content if original else current.content if current is not None else None
    )
    if correction.value is None and current is None:
        return
    try:
        kind = _kinds(extraction, path)
    except CorrectionError:
        return  # the type changed since: the field no longer exists
    base = current or FieldValue(type=kind, value=None, content="", confidence=1.0, source="manual")
    target[name] = base.model_copy(
        update={
            "value": correction.value,
            "confidence": 1.0,
            "source": "manual",
            "correction": Correction(
                by=correction.by,
                at=correction.at,
                extracted_value=extracted_value,
                extracted_content=extracted_content,
            ),
        }
    )


def summarize(extraction: Extraction) -> Summary:
    """Vendor, date, total and currency in force, for lists and filters."""
    names = SUMMARY_FIELDS.get(extraction.document_type)
    if names is None:
        return Summary(None, None, None, None, None)
    vendor_field, date_field, total_field = (extraction.fields.get(n) for n in names)
    vendor = str(vendor_field.value)[:255] if vendor_field and vendor_field.value else None
    when = None
    if date_field is not None and date_field.value:
        try:
            when = date.fromisoformat(str(date_field.value))
        except ValueError:
            when = None
    total = None
    if total_field is not None and total_field.value is not None:
        try:
            total = Decimal(str(total_field.value)).quantize(Decimal("0.0001"))
        except InvalidOperation:
            total = None
    currency_field = extraction.fields.get("Currency")
    currency = str(currency_field.value)[:3] if currency_field and currency_field.value else None
    return Summary(vendor, fold(vendor) if vendor else None, when, total, currency)
