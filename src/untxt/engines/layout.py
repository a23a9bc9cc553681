"""Reading order for engines that find text boxes but no page layout (PP-OCR and the like).

Such engines return loose boxes of text: whole lines, or fragments of one line
that a wide gap split (a receipt's label on the left and its amount far right).
:func:`arrange` puts them back into the Document model's blocks and lines:

1. the page's skew is estimated from the boxes' own slopes, so that a scan
   turned a degree or two still groups its lines correctly;
2. boxes whose (deskewed) vertical centres agree become one line, read left to
   right, however wide the gaps between them;
3. where a clear gutter runs down a stretch of lines and both sides hold prose
   (several words a line, mostly letters), the stretch is read column by column;
   columns of figures (prices, amounts) stay part of their rows, as on receipts
   and tables;
4. lines are split into blocks where a vertical gap is wider than a line.

Nothing here looks at pixels or at an engine: it is geometry on boxes, tested on
hand-made boxes in ``tests/engines/test_layout.py``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from untxt.document import BBox, Block, Line, Word

__all__ = ["TextBox", "arrange"]

# A box joins a line when its centre is within this share of the taller height.
_SAME_LINE = 0.5
# ... and when it overlaps the line's boxes horizontally by less than this share
# of the narrower one (two boxes stacked in one place are two lines) ...
_MAX_X_OVERLAP = 0.3
# ... unless their centres are within this share of the height: then they are
# fragments of one line whose boxes the detector drew overlapping.
_LEVEL = 0.25
# Only boxes this much wider than tall tell the skew: short ones have noisy slopes.
_SKEW_MIN_ASPECT = 3.0
# Skews beyond this (about 8 degrees) are left to page-level deskewing.
_MAX_SKEW = 0.15
# A column gutter is at least this many line heights wide.
_GUTTER = 1.5
# Columns need this many lines on each side...
_COLUMN_MIN_LINES = 3
# ... this many words a line on average...
_COLUMN_MIN_WORDS = 2.5
# ... this share of letters among their characters (figures form table columns) ...
_COLUMN_MIN_LETTERS = 0.6
# ... and each side this share of the stretch's width.
_COLUMN_MIN_WIDTH = 0.25
# A vertical gap wider than this many line heights starts a new block.
_BLOCK_GAP = 1.0


@dataclass(frozen=True)
class TextBox:
    """One box of text as an engine detected it: a whole line or a fragment of one.

    ``words`` are in reading order within the box; ``slope`` is the rise of its
    baseline per pixel across (positive: the right end is lower), 0 when unknown.
    """

    words: Sequence[Word]
    slope: float = 0.0

    @property
    def bbox(self) -> BBox:
        return BBox.union(w.bbox for w in self.words)


@dataclass
class _Item:
    box: TextBox
    x0: float
    x1: float
    y: float  # deskewed vertical centre
    height: float


@dataclass
class _Row:
    items: list[_Item] = field(default_factory=list)

    @property
    def y(self) -> float:
        return statistics.fmean(i.y for i in self.items)

    @property
    def height(self) -> float:
        return statistics.median(i.height for i in self.items)

    @property
    def x0(self) -> float:
        return min(i.x0 for i in self.items)

    @property
    def x1(self) -> float:
        return max(i.x1 for i in self.items)

    def words(self) -> list[Word]:
        return [w for item in sorted(self.items, key=lambda i: i.x0) for w in item.box.words]


def arrange(boxes: Sequence[TextBox]) -> list[Block]:
    """Blocks of lines, in reading order, from an engine's text boxes (see the module doc)."""
    boxes = [b for b in boxes if b.words]
    if not boxes:
        return []
    skew = page_skew(boxes)
    rows = _rows([_item(b, skew) for b in boxes])
    height = statistics.median(r.height for r in rows)
    ordered = _columns(rows, height)
    return _blocks(ordered)


def page_skew(boxes: Sequence[TextBox]) -> float:
    """The page's skew as a slope: the median slope of its long boxes, 0 without any."""
    slopes = []
    for box in boxes:
        bbox = box.bbox
        width, height = bbox.x1 - bbox.x0, bbox.y1 - bbox.y0
        if width >= _SKEW_MIN_ASPECT * max(height, 1) and abs(box.slope) <= _MAX_SKEW:
            slopes.append(box.slope)
    return statistics.median(slopes) if slopes else 0.0


def _item(box: TextBox, skew: float) -> _Item:
    bbox = box.bbox
    width = bbox.x1 - bbox.x0
    cx, cy = (bbox.x0 + bbox.x1) / 2, (bbox.y0 + bbox.y1) / 2
    # An axis-aligned box around a slanted line is taller than the line itself.
    height = max(bbox.y1 - bbox.y0 - abs(box.slope) * width, (bbox.y1 - bbox.y0) / 2, 1.0)
    return _Item(box=box, x0=bbox.x0, x1=bbox.x1, y=cy - skew * cx, height=height)


def _rows(items: list[_Item]) -> list[_Row]:
    rows: list[_Row] = []
    for item in sorted(items, key=lambda i: (i.y, i.x0)):
        best: _Row | None = None
        best_distance = 0.0
        # Rows are made top-down; only the last few can still be level with this box.
        for row in rows[-8:]:
            distance = abs(item.y - row.y)
            if distance > _SAME_LINE * max(item.height, row.height):
                continue
            if distance > _LEVEL * max(item.height, row.height) and any(
                _x_overlap(item, other) > _MAX_X_OVERLAP for other in row.items
            ):
                continue
            if best is None or distance < best_distance:
                best, best_distance = row, distance
        if best is None:
            rows.append(_Row([item]))
        else:
            best.items.append(item)
    return sorted(rows, key=lambda r: r.y)


def _x_overlap(a: _Item, b: _Item) -> float:
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    narrower = max(min(a.x1 - a.x0, b.x1 - b.x0), 1.0)
    return max(overlap, 0.0) / narrower


def _columns(rows: list[_Row], height: float) -> list[_Row]:
    """Rows in reading order: stretches with a prose gutter read column by column."""
    out: list[_Row] = []
    i = 0
    while i < len(rows):
        found = _column_stretch(rows, i, height)
        if found is None:
            out.append(rows[i])
            i += 1
            continue
        end, cut = found
        left, right = _split(rows[i:end], cut)
        # Each side may itself hold columns (three-column pages).
        out.extend(_columns(left, height))
        out.extend(_columns(right, height))
        i = end
    return out


def _column_stretch(rows: list[_Row], start: int, height: float) -> tuple[int, float] | None:
    """``(end, x)`` when rows ``start:end`` are two columns split at ``x``, else ``None``."""
    row = rows[start]
    min_gap = _GUTTER * height
    items = sorted(row.items, key=lambda i: i.x0)
    # Candidate gutters: the wide gaps inside the first row.
    gaps = []
    reach = items[0].x1
    for item in items[1:]:
        if item.x0 - reach >= min_gap:
            gaps.append((reach, item.x0))
        reach = max(reach, item.x1)
    best: tuple[int, float] | None = None
    for g0, g1 in gaps:
        lo, hi = g0, g1
        end = start + 1
        while end < len(rows):
            lo2, hi2 = _free_within(rows[end], lo, hi)
            if hi2 - lo2 < min_gap:
                break
            lo, hi = lo2, hi2
            end += 1
        cut = (lo + hi) / 2
        if _is_prose_columns(rows[start:end], cut) and (best is None or end > best[0]):
            best = (end, cut)
    return best


def _free_within(row: _Row, lo: float, hi: float) -> tuple[float, float]:
    """The widest part of ``[lo, hi]`` that no box of ``row`` covers."""
    spans = sorted((i.x0, i.x1) for i in row.items if i.x1 > lo and i.x0 < hi)
    best = (lo, lo)
    cursor = lo
    for x0, x1 in spans:
        if x0 - cursor > best[1] - best[0]:
            best = (cursor, x0)
        cursor = max(cursor, x1)
    if hi - cursor > best[1] - best[0]:
        best = (cursor, hi)
    return best


def _split(rows: list[_Row], cut: float) -> tuple[list[_Row], list[_Row]]:
    left: list[_Row] = []
    right: list[_Row] = []
    for row in rows:
        lhs = [i for i in row.items if (i.x0 + i.x1) / 2 < cut]
        rhs = [i for i in row.items if (i.x0 + i.x1) / 2 >= cut]
        if lhs:
            left.append(_Row(lhs))
        if rhs:
            right.append(_Row(rhs))
    return left, right


def _is_prose_columns(rows: list[_Row], cut: float) -> bool:
    left, right = _split(rows, cut)
    if len(left) < _COLUMN_MIN_LINES or len(right) < _COLUMN_MIN_LINES:
        return False
    width = max(r.x1 for r in rows) - min(r.x0 for r in rows)
    for side in (left, right):
        side_width = max(r.x1 for r in side) - min(r.x0 for r in side)
        if side_width < _COLUMN_MIN_WIDTH * width:
            return False
        words = [w for r in side for w in r.words()]
        if len(words) / len(side) < _COLUMN_MIN_WORDS:
            return False
        chars = "".join(w.text for w in words)
        letters = sum(c.isalpha() for c in chars)
        if letters < _COLUMN_MIN_LETTERS * max(len(chars), 1):
            return False
    return True


def _blocks(rows: list[_Row]) -> list[Block]:
    groups: list[list[_Row]] = []
    previous: _Row | None = None
    for row in rows:
        gap = (row.y - previous.y) - (row.height + previous.height) / 2 if previous else 0.0
        # A row above the last one means a new column began.
        if (
            previous is None
            or gap > _BLOCK_GAP * max(row.height, previous.height)
            or gap < -(row.height + previous.height)
        ):
            groups.append([])
        groups[-1].append(row)
        previous = row
    blocks = []
    for group in groups:
        lines = []
        for row in group:
            words = row.words()
            lines.append(Line(bbox=BBox.union(w.bbox for w in words), words=words))
        blocks.append(Block(bbox=BBox.union(line.bbox for line in lines), lines=lines))
    return blocks
