"""Item rows read by their figures, and what both readings of a table share.

By figures: a row's last amount is its total, the one before it the price, and a
count beside ``x``, ``*`` or ``@`` its quantity; a row of words alone names the item
of the next priced row, or of the one before where names are printed under figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from untxt.document import BBox
from untxt.extract.amounts import Amount, find_amounts
from untxt.extract.common import Reader, close
from untxt.extract.model import FieldValue, Item
from untxt.extract.view import Span, ViewLine, grounded

_QTY_BY = re.compile(
    r"(?<![\d.,])(?P<a>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:x|\u00d7|\*|@|pcs?|pc\b|units?)\s*(?:rm|\$)?\s*"
    r"(?P<b>\d[\d.,]*)?|[x\u00d7*@]\s*(?P<c>\d{1,4})(?![\d.,])",
    re.IGNORECASE,
)
_LEADING_COUNT = re.compile(r"^\s*(?P<n>\d{1,3})(?:\s+|\s*(?:pc|pcs|x)\s+)(?=\S)")
_CODE_TOKEN = re.compile(r"^[#*]?[a-z]{0,3}\d{4,}[\w\-/]*$", re.IGNORECASE)
TEXT_WORD = re.compile(r"[^\W\d_]{2,}")
_TAX_CODE = re.compile(r"^(?:sr|zr|zrl|e|s|t|z|tx|\*)$", re.IGNORECASE)
# Units and currencies beside the figures: not part of what the item is called.
_UNIT_TOKEN = re.compile(
    r"^(?:pcs?|pc\.|set|sets|unit|units|ea|each|kg|g|l|ltr|m|box|boxs|boxes|pkt|btl|"
    r"rm|usd|eur|sgd|myr|vnd|[$€£¥₫])$",
    re.IGNORECASE,
)


@dataclass
class Items:
    """The rows found, the sum of their amounts, and what did not add up."""

    rows: list[Item] = field(default_factory=list)
    total: Decimal | None = None
    warnings: list[str] = field(default_factory=list)


def total_name(kind: str) -> str:
    return "TotalPrice" if kind == "receipt" else "Amount"


def price_name(kind: str) -> str:
    return "Price" if kind == "receipt" else "UnitPrice"


def text_field(spans: list[Span], source: str, certainty: float) -> FieldValue:
    # Table rules read as "|" or ":" at a cell's edge are no part of what it says.
    trimmed = []
    for span in spans:
        text = span.text
        stripped = text.strip(" |:;-_")
        offset = text.find(stripped) if stripped else 0
        trimmed.append(span.line.span(span.start + offset, span.start + offset + len(stripped)))
    kept = [s for s in trimmed if s.end > s.start] or spans
    text = " ".join(s.text for s in kept)
    return grounded(kept, kind="string", value=text, source=source, certainty=certainty)


def number_field(row: ViewLine, amount: Amount, kind: str, source: str) -> FieldValue:
    return grounded(
        [row.span(amount.start, amount.end)],
        kind=kind,  # type: ignore[arg-type]
        value=float(amount.value),
        source=source,
        certainty=0.8,
    )


def word_span(row: ViewLine, first: int, last: int) -> Span:
    start = sum(len(w.text) + 1 for w in row.words[:first])
    end = sum(len(w.text) + 1 for w in row.words[: last + 1]) - 1
    return row.span(start, end)


def joined(previous: FieldValue, more: Span) -> FieldValue:
    words = [*previous.words, *[w.id for w in more.words]]
    boxes = [b for b in (previous.bbox, more.line.box_of(more.start, more.end)) if b]
    text = f"{previous.content} {more.text}"
    return previous.model_copy(
        update={
            "content": text,
            "value": text,
            "words": list(dict.fromkeys(words)),
            "bbox": BBox.union(boxes) if boxes else None,
        }
    )


def by_amounts(reader: Reader, rows: list[ViewLine], kind: str) -> Items:
    out = Items()
    pending: list[Span] = []  # description lines printed above their figures
    awaiting: Item | None = None  # an item whose description is printed below it
    for row in rows:
        amounts = [a for a in find_amounts(row.text, reader.mark) if a.marked]
        description = _description(row, amounts)
        if not amounts:
            if description is not None and awaiting is not None:
                awaiting["Description"] = text_field([description], "rule:items-rows", 0.6)
                awaiting = None
            elif description is not None:
                pending.append(description)
            continue
        item: Item = {}
        spans = [description] if description is not None else pending[-1:]
        if spans:
            item["Description"] = text_field(spans, "rule:items-rows", 0.7)
        pending = []
        awaiting = None if spans else item
        item[total_name(kind)] = number_field(row, amounts[-1], "amount", "rule:items-rows")
        quantity, price = _quantity_and_price(row, amounts, reader)
        if price is not None:
            item[price_name(kind)] = number_field(row, price, "amount", "rule:items-rows")
        if quantity is not None:
            item["Quantity"] = quantity
        check_row(item, kind, out)
        out.rows.append(item)
    return out


def _description(row: ViewLine, amounts: list[Amount]) -> Span | None:
    """The words of a row that name the item: its longest run of words with letters that
    are not figures, counts, codes or tax codes."""
    figures = [(a.start, a.end) for a in find_amounts(row.text)]
    figures += [m.span() for m in _QTY_BY.finditer(row.text)]
    position = 0
    runs: list[list[int]] = []
    run: list[int] = []
    for index, word in enumerate(row.words):
        start, end = position, position + len(word.text)
        position = end + 1
        covered = any(start < stop and end > begin for begin, stop in figures)
        if (
            covered
            or _CODE_TOKEN.match(word.text)
            or _TAX_CODE.match(word.text)
            or _UNIT_TOKEN.match(word.text)
        ):
            if run:
                runs.append(run)
            run = []
            continue
        run.append(index)
    if run:
        runs.append(run)
    texty = [r for r in runs if any(TEXT_WORD.search(row.words[i].text) for i in r)]
    if not texty:
        return None
    best = max(texty, key=lambda r: sum(len(row.words[i].text) for i in r))
    span = word_span(row, best[0], best[-1])
    leading = _LEADING_COUNT.match(span.text)
    if leading is not None:
        span = row.span(span.start + leading.end(), span.end)
    return span if TEXT_WORD.search(span.text) else None


def _quantity_and_price(
    row: ViewLine, amounts: list[Amount], reader: Reader
) -> tuple[FieldValue | None, Amount | None]:
    total = amounts[-1]
    price = None
    quantity_text = None
    match = _QTY_BY.search(row.text)
    if (
        match is not None
        and match["a"]
        and match["b"]
        and _decimals(match["a"]) > _decimals(match["b"])
        and _decimals(match["b"]) != 2
    ):
        # "1.40*1": price first, then the count.
        quantity_text = match.span("b")
    elif match is not None:
        group = "a" if match["a"] else "c"
        quantity_text = (match.start(group), match.end(group))
    elif (leading := _LEADING_COUNT.match(row.text)) is not None:
        quantity_text = leading.span("n")
    quantity_value = None
    if quantity_text is not None:
        found = find_amounts(row.text[quantity_text[0] : quantity_text[1]], reader.mark)
        if found:
            quantity_value = found[0].value
    for candidate in amounts[:-1]:
        if candidate.value <= 0:
            continue
        if quantity_value is not None and close(candidate.value * quantity_value, total.value):
            price = candidate
            break
    if price is None and len(amounts) >= 2 and amounts[-2].value > 0:
        price = amounts[-2]
    if quantity_value is None or quantity_text is None:
        return None, price
    quantity = grounded(
        [row.span(*quantity_text)],
        kind="number",
        value=float(quantity_value),
        source="rule:items-rows",
        certainty=0.75,
    )
    return quantity, price


def _decimals(number: str) -> int:
    """How many digits a printed number has after its last mark."""
    marks = [number.rfind("."), number.rfind(",")]
    last = max(marks)
    return len(number) - last - 1 if last >= 0 else 0


def check_row(item: Item, kind: str, out: Items) -> None:
    """A row whose quantity times price is not its amount is named in the warnings."""
    quantity = item.get("Quantity")
    price = item.get(price_name(kind))
    total = item.get(total_name(kind))
    if quantity is None or price is None or total is None:
        return
    expected = Decimal(str(quantity.value)) * Decimal(str(price.value))
    if not close(expected, Decimal(str(total.value)), 0.01):
        description = item.get("Description")
        name = description.content if description is not None else f"row {len(out.rows) + 1}"
        out.warnings.append(
            f"item '{name}': {quantity.value:g} x {price.value:g} is not {total.value:g}"
        )
