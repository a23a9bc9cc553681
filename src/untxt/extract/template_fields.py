"""The text templates read, and what they extract turned into grounded fields.

invoice2data templates are written against ``pdftotext -layout`` output, where a
line of text is a row of the page and words sit at columns that follow their
position. :class:`LayoutText` rebuilds such a text from the recognised words and
keeps, for every character, the word it came from. A template's values are then
found again in that text (strings as printed, numbers and dates by value) to
give each field its words, page and box.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from untxt.extract.amounts import CURRENCY_MARKS, currency_code, find_amounts, parse_number
from untxt.extract.dates import find_dates
from untxt.extract.model import FieldKind, FieldValue
from untxt.extract.view import DocumentView, Span, ViewLine, ViewWord, fold, grounded

Range = tuple[int, int]

# A word further than this many character widths from the one before starts a new column.
_COLUMN_GAP = 1.5
# Candidates looked at per value: a value printed more often than this is grounded
# to one of its first occurrences.
_MAX_CANDIDATES = 64
# A number standing alone: not a piece of a date, a code or a longer number.
_NUMBER = re.compile(r"(?<![\w.,/-])[-+]?\d+(?:[.,'\u00a0]\d+)*(?![\w/]|[.,/-]\d)")


@dataclass(frozen=True)
class _Piece:
    """A word placed in the layout text: where, and where it is in its view line."""

    start: int
    end: int
    word: ViewWord
    line: ViewLine
    at: int


class LayoutText:
    """A document's words laid out in character columns, a text line per row of a page."""

    def __init__(self, view: DocumentView) -> None:
        rows: list[str] = []
        self.row_starts: list[int] = []
        self._pieces: list[_Piece] = []
        offset = 0
        for page in dict.fromkeys(line.page for line in view.lines):
            lines = [line for line in view.lines if line.page == page]
            width = _char_width(lines)
            left = min(word.bbox.x0 for line in lines for word in line.words)
            for row in _rows(lines):
                text, placed = _place(row, width, left)
                for start, end, word, line, at in placed:
                    self._pieces.append(_Piece(offset + start, offset + end, word, line, at))
                rows.append(text)
                self.row_starts.append(offset)
                offset += len(text) + 1
        self.text = "\n".join(rows)
        self.folded = fold(self.text)
        self._ends = [piece.end for piece in self._pieces]

    def row_of(self, offset: int) -> int:
        """The index of the text line that character ``offset`` is on."""
        return max(0, bisect.bisect_right(self.row_starts, offset) - 1)

    def row_start(self, row: int) -> int:
        return self.row_starts[row] if row < len(self.row_starts) else len(self.text)

    def spans(self, start: int, end: int) -> list[Span]:
        """The pieces of view lines that characters ``start`` to ``end`` cover, in order."""
        covered: dict[int, list[Any]] = {}
        for piece in self._pieces[bisect.bisect_right(self._ends, start) :]:
            if piece.start >= end:
                break
            low = piece.at + max(start, piece.start) - piece.start
            high = piece.at + min(end, piece.end) - piece.start
            if high <= low:
                continue
            entry = covered.setdefault(id(piece.line), [piece.line, low, high])
            entry[1], entry[2] = min(entry[1], low), max(entry[2], high)
        return [Span(line, low, high) for line, low, high in covered.values()]


def _char_width(lines: Sequence[ViewLine]) -> float:
    widths = [(w.bbox.x1 - w.bbox.x0) / len(w.text) for line in lines for w in line.words if w.text]
    return max(1.0, statistics.median(widths)) if widths else 10.0


def _rows(lines: Sequence[ViewLine]) -> list[list[ViewLine]]:
    """Lines grouped into rows: an engine may split a table row into blocks, set level."""
    rows: list[list[ViewLine]] = []
    centres: list[float] = []
    for line in sorted(lines, key=lambda item: item.bbox.y0 + item.bbox.y1):
        centre = (line.bbox.y0 + line.bbox.y1) / 2
        if rows:
            height = min(item.bbox.y1 - item.bbox.y0 for item in [*rows[-1], line])
            if abs(centre - centres[-1]) <= height / 2:
                rows[-1].append(line)
                centres[-1] = statistics.fmean((i.bbox.y0 + i.bbox.y1) / 2 for i in rows[-1])
                continue
        rows.append([line])
        centres.append(centre)
    return rows


def _place(
    row: Sequence[ViewLine], width: float, left: int
) -> tuple[str, list[tuple[int, int, ViewWord, ViewLine, int]]]:
    """A row's words at the columns their positions give, a space at least between two."""
    words = []
    for line in row:
        at = 0
        for word in line.words:
            words.append((word, line, at))
            at += len(word.text) + 1
    words.sort(key=lambda item: item[0].bbox.x0)
    parts: list[str] = []
    placed = []
    position, previous = 0, None
    for word, line, at in words:
        if not word.text:
            continue
        column = round((word.bbox.x0 - left) / width)
        if previous is None:
            start = max(0, column)
        elif word.bbox.x0 - previous.bbox.x1 <= _COLUMN_GAP * width:
            start = position + 1
        else:
            start = max(position + 2, column)
        parts.append(" " * (start - position) + word.text)
        placed.append((start, start + len(word.text), word, line, at))
        position, previous = start + len(word.text), word
    return "".join(parts), placed


class Grounder:
    """Finds values in a layout text: strings as printed, numbers and dates by value."""

    def __init__(self, layout: LayoutText, *, mark: str, order: str) -> None:
        self.layout = layout
        self.mark = mark
        self.order = order

    def _rows(self) -> Iterable[tuple[int, str]]:
        starts = self.layout.row_starts
        for index, start in enumerate(starts):
            stop = starts[index + 1] - 1 if index + 1 < len(starts) else len(self.layout.text)
            yield start, self.layout.text[start:stop]

    @cached_property
    def _amounts(self) -> list[tuple[int, int, Decimal]]:
        return [
            (start + a.start, start + a.end, a.value)
            for start, text in self._rows()
            for a in find_amounts(text, self.mark)
        ]

    @cached_property
    def _numbers(self) -> list[tuple[int, int, Decimal]]:
        found = []
        for match in _NUMBER.finditer(self.layout.text):
            value = parse_number(match.group(0).lstrip("+-"), self.mark)
            if value is not None:
                value = -value if match.group(0).startswith("-") else value
                found.append((match.start(), match.end(), value))
        return found

    @cached_property
    def _dates(self) -> list[tuple[int, int, date, date | None]]:
        found = []
        for start, text in self._rows():
            for d in find_dates(fold(text), self.order):
                swapped = None
                if d.ambiguous:
                    try:
                        swapped = d.value.replace(month=d.value.day, day=d.value.month)
                    except ValueError:
                        swapped = None
                found.append((start + d.start, start + d.end, d.value, swapped))
        return found

    def numbers(self, value: float, *, money: bool) -> list[Range]:
        pool = self._amounts if money else self._numbers
        return [(s, e) for s, e, v in pool if abs(float(v) - value) < 0.005][:_MAX_CANDIDATES]

    def dates(self, value: date) -> list[Range]:
        return [(s, e) for s, e, v, other in self._dates if value in (v, other)]

    def strings(self, value: str, *, whole_words: bool = False) -> list[Range]:
        """Where ``value`` is printed, whatever the case, accents and spacing."""
        tokens = fold(value).split()
        if not tokens or len(value) > 2000:
            return []
        body = r"\s+".join(re.escape(token) for token in tokens)
        before = r"(?<!\w)" if re.match(r"\w", tokens[0]) else ""
        after = r"(?!\w)" if re.search(r"\w$", tokens[-1]) else ""
        patterns = [before + body + after]
        if not whole_words:
            patterns.append(body)
            if len(tokens) == 1 and len(tokens[0]) <= 200:
                # Values read with ``remove_whitespace`` lost the spaces they were printed with.
                patterns.append(r"\s*".join(re.escape(char) for char in tokens[0]))
        for pattern in patterns:
            found = [m.span() for m in re.finditer(pattern, self.layout.folded)]
            found = [(s, e) for s, e in found if e > s]
            if found:
                return found[:_MAX_CANDIDATES]
        return []

    def currencies(self, code: str) -> list[Range]:
        found = self.strings(code, whole_words=True)
        for mark, mark_code in sorted(CURRENCY_MARKS.items(), key=lambda i: -len(i[0])):
            if mark_code == code and not found:
                found = self.strings(mark, whole_words=mark.isalpha())
        return found


def pick(
    candidates: Sequence[Range], *, hints: Sequence[Range] = (), after: int = 0
) -> Range | None:
    """The candidate a template's own match covers, else the first from ``after`` on."""
    for start, end in candidates:
        if any(start < hint_end and hint_start < end for hint_start, hint_end in hints):
            return start, end
    return next(((start, end) for start, end in candidates if start >= after), None)


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
    printed = _NUMBER.search(text) if numeric is not None else None
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
