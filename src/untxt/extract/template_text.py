"""The text templates read: the recognised words laid out as ``pdftotext -layout`` would.

invoice2data templates are written against ``pdftotext -layout`` output, where a
line of text is a row of the page and words sit at columns that follow their
position. :class:`LayoutText` rebuilds such a text from the recognised words and
keeps, for every character, the word it came from; :class:`Grounder` finds a
template's values again in that text (strings as printed, numbers and dates by
value), to give each field its words, page and box.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from untxt.extract.amounts import CURRENCY_MARKS, find_amounts, parse_number
from untxt.extract.dates import find_dates
from untxt.extract.view import DocumentView, Span, ViewLine, ViewWord, fold

Range = tuple[int, int]


# A word further than this many character widths from the one before starts a new column.
_COLUMN_GAP = 1.5


# Candidates looked at per value: a value printed more often than this is grounded
# to one of its first occurrences.
_MAX_CANDIDATES = 64


# A number standing alone: not a piece of a date, a code or a longer number.
NUMBER = re.compile(r"(?<![\w.,/-])[-+]?\d+(?:[.,'\u00a0]\d+)*(?![\w/]|[.,/-]\d)")


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
        for match in NUMBER.finditer(self.layout.text):
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
