"""Line items: the rows between a table's header and the totals.

The engine's lines are the rows, with a line it set apart beside another (a column
read on its own) joined to it. Where the table has a header (``Description  Qty
Unit price  Amount``), each cell (words closer than a gap) goes to the column whose
heading it shares most of its width with; a row of description alone continues
the item above it. The rows are also read by their figures
(:mod:`untxt.extract.item_rows`), and whichever reading holds together better is kept.
"""

from __future__ import annotations

import re
from decimal import Decimal

from untxt.document import BBox
from untxt.extract import labels
from untxt.extract.amounts import Amount, find_amounts
from untxt.extract.common import Reader, close
from untxt.extract.header import header
from untxt.extract.item_rows import (
    TEXT_WORD,
    Items,
    by_amounts,
    check_row,
    joined,
    price_name,
    text_field,
    total_name,
    word_span,
)
from untxt.extract.model import Item
from untxt.extract.view import ViewLine, ViewWord, grounded

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
    items = by_amounts(reader, rows, kind)
    if len(columns) >= 3 and "description" in names and ("amount" in names or "price" in names):
        # A header whose columns the rows do not keep to (a receipt's loose layout) reads
        # worse by columns than by amounts: keep whichever gives more complete rows.
        tabled = _by_columns(reader, rows, columns, kind)
        if _quality(tabled, kind, reader) >= _quality(items, kind, reader):
            items = tabled
    if items.rows:
        sums = [item.get(total_name(kind)) for item in items.rows]
        if all(s is not None for s in sums):
            items.total = sum((Decimal(str(s.value)) for s in sums if s is not None), Decimal(0))
    return items


def _quality(items: Items, kind: str, reader: Reader) -> int:
    """How well a reading of the rows holds together: complete rows, quantities times
    prices that make their amounts, and no figures left in descriptions."""
    score = 0
    for row in items.rows:
        description, total = row.get("Description"), row.get(total_name(kind))
        quantity, price = row.get("Quantity"), row.get(price_name(kind))
        if description is not None and total is not None:
            score += 2
        if quantity and price and total and close(quantity.value * price.value, total.value):
            score += 1
        if description is not None and any(
            a.marked for a in find_amounts(description.content, reader.mark)
        ):
            score -= 1
    return score


def _by_columns(
    reader: Reader, rows: list[ViewLine], columns: list[tuple[str, float, float]], kind: str
) -> Items:
    out = Items()
    for row in rows:
        cells: dict[str, list[int]] = {}
        for first, last in _cells(row):
            left, right = row.words[first].bbox.x0, row.words[last].bbox.x1
            cells.setdefault(_column_of(left, right, columns), []).extend(range(first, last + 1))
        spans = {name: word_span(row, min(ix), max(ix)) for name, ix in cells.items()}
        money: dict[str, list[Amount]] = {
            name: find_amounts(spans[name].text, reader.mark)
            for name in ("amount", "price", "qty")
            if name in spans
        }
        named = "description" in spans and TEXT_WORD.search(spans["description"].text)
        has_amount = bool(money.get("amount") or money.get("price"))
        if not has_amount or not (named or any(a.marked for a in money.get("amount", []))):
            # A line of description alone continues the item above it.
            if out.rows and "description" in spans and len(cells) == 1:
                previous = out.rows[-1].get("Description")
                if previous is not None:
                    out.rows[-1]["Description"] = joined(previous, spans["description"])
            continue
        item: Item = {}
        if "description" in spans:
            item["Description"] = text_field([spans["description"]], "rule:items-columns", 0.85)
        for name, field_name, field_kind in (
            ("qty", "Quantity", "number"),
            ("price", price_name(kind), "amount"),
            ("amount", total_name(kind), "amount"),
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
        check_row(item, kind, out)
        if item:
            out.rows.append(item)
    return out
