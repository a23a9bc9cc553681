"""Line items: the rows between a table's header and the totals.

Rows are rebuilt from word boxes (words level with each other form a row), so a
table the engine read as separate columns still reads row by row. Where the table
has a header (``Description  Qty  Unit price  Amount``), each word goes to the
column whose header stands above it; otherwise a row's last amount is its total,
the one before it the price, and a count beside ``x`` or ``@`` (or total / price)
its quantity. A row with no amount continues the description of the next one
(receipts print the name above the figures) or, in a table, of the one before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from untxt.document import BBox
from untxt.extract import labels
from untxt.extract.amounts import Amount, find_amounts
from untxt.extract.common import Reader, close
from untxt.extract.header import header
from untxt.extract.model import FieldValue, Item
from untxt.extract.view import Span, ViewLine, ViewWord, grounded

#: Header words and the column each names.
_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])"))
    for name, pattern in (
        # Before "row": "Item No." names the code column.
        ("code", r"code|sku|item\s*no\.?|art(?:ikel)?\.?\s*nr|ma\s*hang|product\s*code|part\s*no"),
        ("row", r"stt|no\.|#|pos\.?|s/n"),
        # Before "unit": "Unit price" names the price column.
        ("price", r"unit\s*price|price|u/?p|rate|don\s*gia|preis|einzelpreis|prix|s/price"),
        # "Đơn vị tính" is often set over two lines, "tính" under "Đơn vị".
        ("unit", r"unit|uom|dvt|don\s*vi(?:\s*tinh)?|einheit|unite"),
        ("tax", r"tax|vat|gst|thue\s*suat|mwst|tva"),
        ("qty", r"qty|quantity|q1y|so\s*luong|menge|qte|quantite|pcs"),
        ("amount", r"amount|amt|total|line\s*total|thanh\s*tien|betrag|montant|gesamt"),
        (
            "description",
            r"description|desc\.?|item|itern|items|product|service|ten\s*hang(?:\s*hoa)?|"
            r"ten\s*hang\s*hoa,?\s*dich\s*vu|bezeichnung|designation|article|menu",
        ),
    )
)
# Cells of a table row stand further apart than this many line heights.
_CELL_GAP = 0.6
_QTY_BY = re.compile(
    r"(?<![\d.,])(?P<a>\d{1,4}(?:[.,]\d{1,3})?)\s*(?:x|\u00d7|\*|@|pcs?|pc\b|units?)\s*(?:rm|\$)?\s*"
    r"(?P<b>\d[\d.,]*)?|[x\u00d7*@]\s*(?P<c>\d{1,4})(?![\d.,])",
    re.IGNORECASE,
)
_LEADING_COUNT = re.compile(r"^\s*(?P<n>\d{1,3})(?:\s+|\s*(?:pc|pcs|x)\s+)(?=\S)")
_CODE_TOKEN = re.compile(r"^[#*]?[a-z]{0,3}\d{4,}[\w\-/]*$", re.IGNORECASE)
_TEXT_WORD = re.compile(r"[^\W\d_]{2,}")
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


def _rows(lines: list[ViewLine]) -> list[ViewLine]:
    """The engine's lines as table rows, with a line it set apart (a column read on its
    own) joined to the row it stands level with. The engine's lines follow a skewed
    page; level is judged on the boxes' vertical overlap."""
    rows: list[list[ViewWord]] = []
    boxes: list[BBox] = []
    for line in lines:
        for index, box in enumerate(boxes):
            shared = min(box.y1, line.bbox.y1) - max(box.y0, line.bbox.y0)
            height = min(box.y1 - box.y0, line.bbox.y1 - line.bbox.y0)
            beside = line.bbox.x0 >= box.x1 or line.bbox.x1 <= box.x0
            if beside and shared > 0.5 * max(1, height):
                rows[index] = sorted([*rows[index], *line.words], key=lambda w: w.bbox.x0)
                boxes[index] = BBox.union([box, line.bbox])
                break
        else:
            rows.append(list(line.words))
            boxes.append(line.bbox)
    order = sorted(range(len(rows)), key=lambda i: (boxes[i].y0 + boxes[i].y1) / 2)
    page = lines[0].page if lines else 1
    return [ViewLine(page, number, rows[i], boxes[i], 0) for number, i in enumerate(order)]


def _region(reader: Reader) -> tuple[list[ViewLine], ViewLine | None]:
    """The rows between the items' header (or the issuer's header) and the totals."""
    view = reader.view
    lines = view.lines
    top = header(view).end
    end = len(lines)
    for line in lines[top:]:
        folded = line.folded
        labelled = (
            labels.SUBTOTAL.search(folded)
            or labels.GRAND_TOTAL.search(folded)
            or labels.TOTAL.search(folded)
            or (labels.TAX.search(folded) and not labels.NOT_TAX.search(folded))
        )
        # A column named "Total" is no total: the totals print their sums.
        if labelled and find_amounts(line.text, reader.mark):
            end = line.number
            break
    # The table's header is a line of column names above the first priced row.
    head: ViewLine | None = None
    for line in lines[top:end]:
        priced = any(a.marked for a in find_amounts(line.text, reader.mark))
        if priced:
            break
        if len(labels.ITEMS_HEADER_WORD.findall(line.folded)) >= 2:
            head = line
            break
    start = head.number + 1 if head is not None else top
    chosen = lines[start:end]
    if not chosen:
        return [], head
    page = chosen[0].page
    return _rows([line for line in chosen if line.page == page]), head


def _columns(head: ViewLine) -> list[tuple[str, float, float]]:
    """(name, left, right) of each column the header names, left to right."""
    columns: list[tuple[str, float, float]] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _COLUMNS:
        for match in pattern.finditer(head.folded):
            if any(match.start() < end and match.end() > start for start, end in taken):
                continue
            box = head.box_of(*match.span())
            if box is None:
                continue
            taken.append(match.span())
            columns.append((name, box.x0, box.x1))
    columns.sort(key=lambda c: c[1])
    return columns


def _cells(row: ViewLine) -> list[tuple[int, int]]:
    """The row cut into cells (first and last word index) where its words stand apart
    by more than a word space."""
    gap = _CELL_GAP * max(1, row.height)
    cells, first = [], 0
    for index in range(1, len(row.words)):
        if row.words[index].bbox.x0 - row.words[index - 1].bbox.x1 > gap:
            cells.append((first, index - 1))
            first = index
    if row.words:
        cells.append((first, len(row.words) - 1))
    return cells


def _column_of(left: float, right: float, columns: list[tuple[str, float, float]]) -> str:
    """The column whose heading a cell shares most of its width with, or the nearest."""

    def closeness(column: tuple[str, float, float]) -> float:
        _, start, end = column
        shared = min(right, end) - max(left, start)
        if shared > 0:
            return shared
        return -min(abs(left - end), abs(start - right))

    return max(columns, key=closeness)[0]


def read_items(reader: Reader, *, kind: str) -> Items:
    """The line items of the document's first table."""
    rows, head = _region(reader)
    columns = _columns(head) if head is not None else []
    names = [c[0] for c in columns]
    items = _by_amounts(reader, rows, kind)
    if len(columns) >= 3 and "description" in names and ("amount" in names or "price" in names):
        # A header whose columns the rows do not keep to (a receipt's loose layout) reads
        # worse by columns than by amounts: keep whichever gives more complete rows.
        tabled = _by_columns(reader, rows, columns, kind)
        if _quality(tabled, kind, reader) >= _quality(items, kind, reader):
            items = tabled
    if items.rows:
        sums = [item.get(_total_name(kind)) for item in items.rows]
        if all(s is not None for s in sums):
            items.total = sum((Decimal(str(s.value)) for s in sums if s is not None), Decimal(0))
    return items


def _quality(items: Items, kind: str, reader: Reader) -> int:
    """How well a reading of the rows holds together: complete rows, quantities times
    prices that make their amounts, and no figures left in descriptions."""
    score = 0
    for row in items.rows:
        description, total = row.get("Description"), row.get(_total_name(kind))
        quantity, price = row.get("Quantity"), row.get(_price_name(kind))
        if description is not None and total is not None:
            score += 2
        if quantity and price and total and close(quantity.value * price.value, total.value):
            score += 1
        if description is not None and any(
            a.marked for a in find_amounts(description.content, reader.mark)
        ):
            score -= 1
    return score


def _total_name(kind: str) -> str:
    return "TotalPrice" if kind == "receipt" else "Amount"


def _price_name(kind: str) -> str:
    return "Price" if kind == "receipt" else "UnitPrice"


def _text_field(spans: list[Span], source: str, certainty: float) -> FieldValue:
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


def _number_field(row: ViewLine, amount: Amount, kind: str, source: str) -> FieldValue:
    return grounded(
        [row.span(amount.start, amount.end)],
        kind=kind,  # type: ignore[arg-type]
        value=float(amount.value),
        source=source,
        certainty=0.8,
    )


def _by_columns(
    reader: Reader, rows: list[ViewLine], columns: list[tuple[str, float, float]], kind: str
) -> Items:
    out = Items()
    for row in rows:
        cells: dict[str, list[int]] = {}
        for first, last in _cells(row):
            left, right = row.words[first].bbox.x0, row.words[last].bbox.x1
            cells.setdefault(_column_of(left, right, columns), []).extend(range(first, last + 1))
        spans = {name: _word_span(row, min(ix), max(ix)) for name, ix in cells.items()}
        money: dict[str, list[Amount]] = {
            name: find_amounts(spans[name].text, reader.mark)
            for name in ("amount", "price", "qty")
            if name in spans
        }
        named = "description" in spans and _TEXT_WORD.search(spans["description"].text)
        has_amount = bool(money.get("amount") or money.get("price"))
        if not has_amount or not (named or any(a.marked for a in money.get("amount", []))):
            # A line of description alone continues the item above it.
            if out.rows and "description" in spans and len(cells) == 1:
                previous = out.rows[-1].get("Description")
                if previous is not None:
                    out.rows[-1]["Description"] = _joined(previous, spans["description"])
            continue
        item: Item = {}
        if "description" in spans:
            item["Description"] = _text_field([spans["description"]], "rule:items-columns", 0.85)
        for name, field_name, field_kind in (
            ("qty", "Quantity", "number"),
            ("price", _price_name(kind), "amount"),
            ("amount", _total_name(kind), "amount"),
        ):
            found = money.get(name) or []
            if found:
                span = spans[name]
                amount = found[-1]
                item[field_name] = grounded(
                    [row.span(span.start + amount.start, span.start + amount.end)],
                    kind=field_kind,  # type: ignore[arg-type]
                    value=float(amount.value),
                    source="rule:items-columns",
                    certainty=0.85,
                )
        if kind != "receipt":
            for name, field_name in (("unit", "Unit"), ("code", "ProductCode"), ("tax", "TaxRate")):
                if name in spans and spans[name].text.strip():
                    value = spans[name].text.strip()
                    field_kind = "rate" if name == "tax" else "string"
                    item[field_name] = grounded(
                        [spans[name]],
                        kind=field_kind,  # type: ignore[arg-type]
                        value=value,
                        source="rule:items-columns",
                        certainty=0.75,
                    )
        _check_row(item, kind, out)
        if item:
            out.rows.append(item)
    return out


def _word_span(row: ViewLine, first: int, last: int) -> Span:
    start = sum(len(w.text) + 1 for w in row.words[:first])
    end = sum(len(w.text) + 1 for w in row.words[: last + 1]) - 1
    return row.span(start, end)


def _joined(previous: FieldValue, more: Span) -> FieldValue:
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


def _by_amounts(reader: Reader, rows: list[ViewLine], kind: str) -> Items:
    out = Items()
    pending: list[Span] = []  # description lines printed above their figures
    awaiting: Item | None = None  # an item whose description is printed below it
    for row in rows:
        amounts = [a for a in find_amounts(row.text, reader.mark) if a.marked]
        description = _description(row, amounts)
        if not amounts:
            if description is not None and awaiting is not None:
                awaiting["Description"] = _text_field([description], "rule:items-rows", 0.6)
                awaiting = None
            elif description is not None:
                pending.append(description)
            continue
        item: Item = {}
        spans = [description] if description is not None else pending[-1:]
        if spans:
            item["Description"] = _text_field(spans, "rule:items-rows", 0.7)
        pending = []
        awaiting = None if spans else item
        item[_total_name(kind)] = _number_field(row, amounts[-1], "amount", "rule:items-rows")
        quantity, price = _quantity_and_price(row, amounts, reader)
        if price is not None:
            item[_price_name(kind)] = _number_field(row, price, "amount", "rule:items-rows")
        if quantity is not None:
            item["Quantity"] = quantity
        _check_row(item, kind, out)
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
    texty = [r for r in runs if any(_TEXT_WORD.search(row.words[i].text) for i in r)]
    if not texty:
        return None
    best = max(texty, key=lambda r: sum(len(row.words[i].text) for i in r))
    span = _word_span(row, best[0], best[-1])
    leading = _LEADING_COUNT.match(span.text)
    if leading is not None:
        span = row.span(span.start + leading.end(), span.end)
    return span if _TEXT_WORD.search(span.text) else None


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


def _check_row(item: Item, kind: str, out: Items) -> None:
    """A row whose quantity times price is not its amount is named in the warnings."""
    quantity = item.get("Quantity")
    price = item.get(_price_name(kind))
    total = item.get(_total_name(kind))
    if quantity is None or price is None or total is None:
        return
    expected = Decimal(str(quantity.value)) * Decimal(str(price.value))
    if not close(expected, Decimal(str(total.value)), 0.01):
        description = item.get("Description")
        name = description.content if description is not None else f"row {len(out.rows) + 1}"
        out.warnings.append(
            f"item '{name}': {quantity.value:g} x {price.value:g} is not {total.value:g}"
        )
