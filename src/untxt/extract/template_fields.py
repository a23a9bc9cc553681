"""What a template extracts, turned into untxt's fields: typed, named, grounded.

invoice2data's keys become untxt's field names by document type; each value is
typed (dates, amounts, currencies) and found again in the layout text
(:mod:`untxt.extract.template_text`) to give it its words, page and box.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from untxt.extract.amounts import currency_code, parse_number
from untxt.extract.model import FieldKind, FieldValue
from untxt.extract.template_text import NUMBER, Grounder, LayoutText, Range, pick
from untxt.extract.view import grounded


@dataclass(frozen=True)
class Typed:
    """A template's value with the kind of field it makes."""

    kind: FieldKind
    value: Any
    #: The text to search for when the value is a string (or a number printed oddly).
    text: str


_MONEY_KEYS = frozenset({"price_unit", "price_subtotal", "price_total", "line_tax_amount"})


def _numeric(key: str) -> FieldKind | None:
    """The kind a number read for ``key`` makes, if the key says it is one."""
    if key.startswith(("amount", "sum_amount")) or key in _MONEY_KEYS:
        return "amount"
    if key == "line_tax_percent":
        return "rate"
    return "number" if key in ("qty", "quantity", "discount") else None


def typed(key: str, raw: Any, *, mark: str, constant: bool, kind: FieldKind | None) -> Typed | None:
    """The kind and value of a template's ``raw`` value for field ``key``."""
    if raw is None or raw == "" or isinstance(raw, (list, dict)):
        return None
    if isinstance(raw, (datetime, date)):
        day = raw.date() if isinstance(raw, datetime) else raw
        return Typed("date", day.isoformat(), day.isoformat())
    numeric = _numeric(key)
    if isinstance(raw, bool):
        return Typed("string", str(raw).lower(), str(raw))
    if isinstance(raw, (int, float)):
        if constant and numeric is None:
            return Typed("string", str(raw), str(raw))
        number = float(raw) if numeric == "amount" or isinstance(raw, float) else raw
        return Typed(numeric or "number", number, str(raw))
    text = str(raw).strip()
    if not text:
        return None
    if key == "currency" or kind == "currency":
        code = currency_code(text)
        return Typed("currency", code, text) if code else Typed("string", text, text)
    printed = NUMBER.search(text) if numeric is not None else None
    parsed = parse_number(printed.group(0).lstrip("+-"), mark) if printed else None
    if numeric is not None and printed is not None and parsed is not None:
        return Typed(numeric, float(-parsed if printed.group(0)[0] == "-" else parsed), text)
    return Typed(kind or "string", text, text)


def locate(
    grounder: Grounder, value: Typed, *, constant: bool, hints: Sequence[Range] = (), after: int = 0
) -> Range | None:
    """Where ``value`` is printed, or ``None`` when the document does not print it."""
    if value.kind == "date":
        candidates = grounder.dates(date.fromisoformat(value.value))
    elif value.kind in ("amount", "number", "rate") and not isinstance(value.value, str):
        candidates = grounder.numbers(float(value.value), money=value.kind == "amount")
        if not candidates and value.text != str(value.value):
            candidates = grounder.strings(value.text, whole_words=True)
    elif value.kind == "currency":
        candidates = grounder.currencies(str(value.value))
    else:
        candidates = grounder.strings(value.text, whole_words=constant)
    return pick(candidates, hints=hints, after=after)


def field_value(
    layout: LayoutText, value: Typed, where: Range | None, *, source: str
) -> FieldValue:
    """The field: grounded in the words at ``where``, or as the template gives it."""
    spans = layout.spans(*where) if where else []
    if spans:
        return grounded(spans, kind=value.kind, value=value.value, source=source, certainty=0.95)
    return FieldValue(
        type=value.kind, value=value.value, content=value.text, confidence=0.9, source=source
    )


# invoice2data's canonical keys and untxt's names for them; where two keys name the
# same field, the first listed wins (its "partner" is the issuer, as in Odoo's import).
def _names(pairs: str) -> tuple[tuple[str, str], ...]:
    return tuple((key, name) for key, _, name in (pair.partition("=") for pair in pairs.split()))


_FIELD_NAMES = {
    "receipt": _names(
        "partner_name=MerchantName issuer=MerchantName vat=MerchantTaxId telephone=MerchantPhone"
        " date=TransactionDate amount=Total amount_untaxed=Subtotal amount_tax=TotalTax"
        " invoice_number=ReceiptNumber currency=Currency payment_method=PaymentMethod"
    ),
    "invoice": _names(
        "partner_name=VendorName issuer=VendorName vat=VendorTaxId company_vat=CustomerTaxId"
        " date=InvoiceDate date_due=DueDate date_start=ServiceStartDate date_end=ServiceEndDate"
        " amount=InvoiceTotal amount_untaxed=SubTotal amount_tax=TotalTax invoice_number=InvoiceId"
        " currency=Currency iban=IBAN"
    ),
}
_ITEMS = (
    "name=Description description=Description qty=Quantity quantity=Quantity price_unit={unit}"
    " price_subtotal={total} price_total={total} uom=Unit unit=Unit code=ProductCode"
    " product_code=ProductCode line_tax_percent=TaxRate"
)
_ITEM_NAMES = {
    "receipt": _names(_ITEMS.format(unit="Price", total="TotalPrice")),
    "invoice": _names(_ITEMS.format(unit="UnitPrice", total="Amount")),
}
_KINDS: dict[str, FieldKind] = {"MerchantPhone": "phone"}
# What invoice2data adds to every result about itself, not about the document.
_BOOKKEEPING = frozenset({"template_name", "desc"})


def rename(keys: Iterable[str], names: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(field name, key)`` for each of ``keys``: untxt's name where there is one, else
    the key itself; a key whose name an earlier key took keeps its own (``issuer`` none)."""
    order = {key: index for index, (key, _) in enumerate(names)}
    mapping = dict(names)
    taken: set[str] = set()
    renamed = []
    for key in sorted(keys, key=lambda k: order.get(k, len(order))):
        target = mapping.get(key, key)
        if target in taken:
            if key == "issuer" or key in taken:
                continue
            target = key
        taken.add(target)
        renamed.append((target, key))
    return renamed


@dataclass
class TemplateResult:
    fields: dict[str, FieldValue]
    items: list[dict[str, FieldValue]]
    warnings: list[str]


class OutputReader:
    """Turns one template's invoice2data result into untxt's fields and items."""

    def __init__(
        self,
        grounder: Grounder,
        *,
        name: str,
        document_type: str,
        constants: frozenset[str],
        hints: dict[str, list[Range]],
        lines_start: int,
    ) -> None:
        self.grounder = grounder
        self.layout = grounder.layout
        self.name = name
        self.source = f"template:{name}"
        self.group = "receipt" if document_type == "receipt" else "invoice"
        self.constants = constants
        self.hints = hints
        self.lines_start = lines_start

    def read(self, output: dict[str, Any]) -> TemplateResult:
        result = TemplateResult({}, [], [])
        keys = [k for k in output if k not in _BOOKKEEPING and output[k] is not None]
        for target, key in rename(keys, _FIELD_NAMES[self.group]):
            raw = output[key]
            if key == "lines" and isinstance(raw, list):
                result.items = self._items(raw)
            elif isinstance(raw, list):
                self._from_list(target, key, raw, result)
            elif not isinstance(raw, dict):
                value = self._value(target, key, raw, hints=self.hints.get(key, ()))
                if value is not None:
                    result.fields[target] = value[0]
        return result

    def _value(
        self, target: str, key: str, raw: Any, *, hints: Sequence[Range] = (), after: int = 0
    ) -> tuple[FieldValue, Range | None] | None:
        constant = key in self.constants
        value = typed(key, raw, mark=self.grounder.mark, constant=constant, kind=_KINDS.get(target))
        if value is None:
            return None
        where = locate(self.grounder, value, constant=constant, hints=hints, after=after)
        return field_value(self.layout, value, where, source=self.source), where

    def _from_list(self, target: str, key: str, raw: list[Any], result: TemplateResult) -> None:
        values = [v for v in raw if v is not None and not isinstance(v, (list, dict))]
        if len(values) != len(raw):
            result.warnings.append(
                f"template {self.name!r} read a table into {key!r}; only 'lines' become Items"
            )
            return
        hints = self.hints.get(key, ())
        found = [v for v in (self._value(target, key, raw, hints=hints) for raw in values) if v]
        if not found:
            return
        printed = [(where, field) for field, where in found if where is not None]
        hinted = [f for w, f in printed if any(w[0] < e and s < w[1] for s, e in hints)]
        first = min(printed, key=lambda item: item[0])[1] if printed else found[0][0]
        result.fields[target] = hinted[0] if hinted else first
        if len(found) > 1:
            result.warnings.append(
                f"template {self.name!r} read {len(found)} values of {key!r}; kept the first"
                " printed"
            )

    def _items(self, rows: list[Any]) -> list[dict[str, FieldValue]]:
        """The rows of ``lines``, each grounded on the first text line from where the
        previous row was found, so that a value printed in many rows lands in its own."""
        items = []
        cursor = self.lines_start
        for row in rows:
            if not isinstance(row, dict):
                continue
            keys = [k for k in row if row[k] is not None and not isinstance(row[k], (list, dict))]
            pairs = rename(keys, _ITEM_NAMES[self.group])
            first = [self._value(t, k, row[k], after=cursor) for t, k in pairs]
            starts = [v[1][0] for v in first if v is not None and v[1] is not None]
            if starts:
                line = self.layout.row_of(min(starts))
                start = self.layout.row_start(line)
                cursor = self.layout.row_start(line + 1)
                first = [self._value(t, k, row[k], after=start) for t, k in pairs]
            item = {t: v[0] for (t, _), v in zip(pairs, first, strict=True) if v is not None}
            if item:
                items.append(item)
        return items
