"""What a page's blocks read as: headings, paragraphs and tables, from the word boxes alone.

Shared by the markdown and HTML renderers. The engine gives blocks of lines of
words; this adds two things a reader sees at a glance:

- a heading is a short block (at most two lines, a dozen words) whose words are
  much taller than the page's median word;
- a table is a run of two or more consecutive lines of a block, each broken by
  wide gaps into two or more cells, whose cells line up in the same columns
  (their x-ranges overlap down each column and, but for a minority of rows whose
  cells are then joined, never across two).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from untxt.document import Block, Line, Page, Word

#: Word height over the page's median from which a short block is a heading, by level.
HEADING_RATIOS = ((1, 2.0), (2, 1.4))
_HEADING_MAX_LINES = 2
_HEADING_MAX_WORDS = 12
# A gap this many times the line's median word height separates two table cells;
# spaces between words of running text, even justified, stay well below it.
_CELL_GAP = 1.5


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 is the largest."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """Lines of running text."""

    lines: list[str]


@dataclass(frozen=True)
class Table:
    """Rows of cells, all rows as long as the number of columns; empty cells are ''."""

    rows: list[list[str]]


Item = Heading | Paragraph | Table


def page_items(page: Page) -> list[Item]:
    """The page's blocks as headings, paragraphs and tables, in reading order."""
    heights = [word.bbox.y1 - word.bbox.y0 for word in page.words()]
    median = statistics.median(heights) if heights else 0
    items: list[Item] = []
    for block in page.blocks:
        level = _heading_level(block, median) if len(page.blocks) > 1 else None
        if level is not None:
            items.append(Heading(level, " ".join(line.text for line in block.lines)))
        else:
            items.extend(_block_items(block))
    return items


def _heading_level(block: Block, page_median: float) -> int | None:
    words = [word for line in block.lines for word in line.words]
    if not words or len(block.lines) > _HEADING_MAX_LINES or len(words) > _HEADING_MAX_WORDS:
        return None
    if page_median <= 0:
        return None
    ratio = statistics.median(w.bbox.y1 - w.bbox.y0 for w in words) / page_median
    for level, threshold in HEADING_RATIOS:
        if ratio >= threshold:
            return level
    return None


def _block_items(block: Block) -> list[Item]:
    """A block as paragraphs of its running lines and tables of its aligned ones."""
    lines = [line for line in block.lines if line.words]
    cells = [_cells(line) for line in lines]
    items: list[Item] = []
    text: list[str] = []
    i = 0
    while i < len(lines):
        run, columns = _table_run(cells, i)
        if run >= 2:
            if text:
                items.append(Paragraph(text))
                text = []
            items.append(Table([_row(row, columns) for row in cells[i : i + run]]))
            i += run
        else:
            text.append(lines[i].text)
            i += 1
    if text:
        items.append(Paragraph(text))
    return items


def _cells(line: Line) -> list[list[Word]]:
    """The line's words split at gaps wide enough to separate table cells."""
    words = line.words
    height = statistics.median(w.bbox.y1 - w.bbox.y0 for w in words)
    cells = [[words[0]]]
    for before, word in pairwise(words):
        if word.bbox.x0 - before.bbox.x1 >= _CELL_GAP * height:
            cells.append([word])
        else:
            cells[-1].append(word)
    return cells


def _span(cell: Sequence[Word]) -> tuple[int, int]:
    return cell[0].bbox.x0, cell[-1].bbox.x1


def _table_run(cells: list[list[list[Word]]], start: int) -> tuple[int, list[tuple[int, int]]]:
    """How many lines from ``start`` form one table, and the x-ranges of its columns.

    The columns are the gutters that run down every row: cells whose x-ranges
    overlap, in any rows, share a column. A row that puts two of its cells into one
    column (a receipt's quantity under the end of a longer item name) has them
    joined there, but only while fewer than half the rows need it: two rows that
    disagree are no table, and a run of rows most of which disagree is none either.
    """
    columns: list[tuple[int, int]] = []
    run = 0
    for end in range(start, len(cells)):
        if len(cells[end]) < 2:
            break
        rows = cells[start : end + 1]
        merged = _columns([_span(cell) for row in rows for cell in row])
        if len(merged) < 2:
            break
        used = [[_column_of(cell, merged) for cell in row] for row in rows]
        if any(len(set(row)) < 2 for row in used):
            break
        joined = sum(len(set(row)) < len(row) for row in used)
        if 2 * joined >= len(rows):
            break
        columns = merged
        run += 1
    return run, columns


def _columns(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` merged where they overlap, left to right."""
    merged: list[tuple[int, int]] = []
    for x0, x1 in sorted(spans):
        if merged and x0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], x1))
        else:
            merged.append((x0, x1))
    return merged


def _column_of(cell: Sequence[Word], columns: list[tuple[int, int]]) -> int:
    x0, x1 = _span(cell)
    for index, (c0, c1) in enumerate(columns):
        if x0 <= c1 and x1 >= c0:
            return index
    raise ValueError("a cell outside every column")


def _row(row: list[list[Word]], columns: list[tuple[int, int]]) -> list[str]:
    out: list[list[str]] = [[] for _ in columns]
    for cell in row:
        out[_column_of(cell, columns)].extend(word.text for word in cell)
    return [" ".join(words) for words in out]
