"""A reading of a Document for extractors: lines of words with ids, and grounded values.

Extractors search line texts with regular expressions; a match is turned back into
the words it covers (:meth:`ViewLine.span`) and then into a :class:`FieldValue`
whose ``content`` is the matched text, whose box surrounds those words, and whose
confidence weighs the rule's own certainty by the OCR confidence of the words.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

from untxt.document import BBox, Document
from untxt.extract.model import FieldKind, FieldValue

# Words further apart than this many line heights stand in different columns.
_COLUMN_GAP = 2.5
_FOLD = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "s"})


def fold(text: str) -> str:
    """Lower case without accents, length kept: ``Tổng tiền`` -> ``tong tien``.

    Each character folds to exactly one, so that offsets in the folded text are
    offsets in the original: a label found in one is a span of the other.
    """
    out = []
    for char in text.translate(_FOLD):
        if char.isascii():
            out.append(char.lower())
            continue
        base = unicodedata.normalize("NFKD", char)[:1]
        if base.isascii() and base.isalnum():
            out.append(base.lower())
        else:
            lower = char.lower()
            out.append(lower if len(lower) == 1 else char)
    return "".join(out)


@dataclass(frozen=True)
class ViewWord:
    """One word of the document, with the id fields cite it by."""

    id: str
    text: str
    bbox: BBox
    confidence: float
    page: int


@dataclass(frozen=True)
class Span:
    """A piece of one line's text: the words it covers and the text itself."""

    line: ViewLine
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.line.text[self.start : self.end]

    @property
    def words(self) -> list[ViewWord]:
        return self.line.words_in(self.start, self.end)


@dataclass
class ViewLine:
    """A line of words; ``text`` joins them with single spaces."""

    page: int
    number: int
    words: list[ViewWord]
    bbox: BBox
    block: int
    text: str = field(init=False)
    folded: str = field(init=False)
    _starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        starts, position = [], 0
        for word in self.words:
            starts.append(position)
            position += len(word.text) + 1
        self._starts = starts
        self.text = " ".join(w.text for w in self.words)
        self.folded = fold(self.text)

    @cached_property
    def height(self) -> int:
        heights = [w.bbox.y1 - w.bbox.y0 for w in self.words]
        return int(statistics.median(heights)) if heights else self.bbox.y1 - self.bbox.y0

    @cached_property
    def segments(self) -> list[ViewLine]:
        """The line cut where its words stand far apart: the columns an engine joined
        into one line (a vendor's address beside an invoice's number). Each segment is
        a line of its own, holding the same words."""
        cuts = [0]
        gap = _COLUMN_GAP * max(1, self.height)
        for index in range(1, len(self.words)):
            if self.words[index].bbox.x0 - self.words[index - 1].bbox.x1 > gap:
                cuts.append(index)
        if len(cuts) == 1:
            return [self]
        bounds = [*cuts, len(self.words)]
        return [
            ViewLine(
                self.page,
                self.number,
                self.words[a:b],
                BBox.union(w.bbox for w in self.words[a:b]),
                self.block,
            )
            for a, b in pairwise(bounds)
        ]

    def words_in(self, start: int, end: int) -> list[ViewWord]:
        """The words that characters ``start`` to ``end`` of ``text`` fall in."""
        return [
            word
            for word, begin in zip(self.words, self._starts, strict=True)
            if begin < end and begin + len(word.text) > start
        ]

    def span(self, start: int, end: int) -> Span:
        """The text from ``start`` to ``end``, stripped of spaces at either end."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return Span(self, start, end)

    def box_of(self, start: int, end: int) -> BBox | None:
        """The box of characters ``start`` to ``end``: a part of a word is estimated by
        its share of the word's characters, as engines give no box per character."""
        boxes = []
        for word, begin in zip(self.words, self._starts, strict=True):
            stop = begin + len(word.text)
            if begin >= end or stop <= start:
                continue
            box = word.bbox
            if begin < start or stop > end:
                width = (box.x1 - box.x0) / max(1, len(word.text))
                left = box.x0 + round(width * max(0, start - begin))
                right = box.x1 - round(width * max(0, stop - end))
                box = BBox(x0=left, y0=box.y0, x1=max(left + 1, right), y1=box.y1)
            boxes.append(box)
        return BBox.union(boxes) if boxes else None


class DocumentView:
    """Every line of a document in reading order, across pages."""

    def __init__(self, document: Document, languages: Sequence[str] = ("eng",)) -> None:
        self.document = document
        self.languages = list(languages)
        self.lines: list[ViewLine] = []
        for page in document.pages:
            index = 0
            for block_number, block in enumerate(page.blocks):
                for line in block.lines:
                    words = []
                    for word in line.words:
                        words.append(
                            ViewWord(
                                f"p{page.number}w{index}",
                                word.text,
                                word.bbox,
                                word.confidence,
                                page.number,
                            )
                        )
                        index += 1
                    if words:
                        self.lines.append(
                            ViewLine(page.number, len(self.lines), words, line.bbox, block_number)
                        )

    @cached_property
    def text(self) -> str:
        """The whole text, a line per line."""
        return "\n".join(line.text for line in self.lines)

    @cached_property
    def folded(self) -> str:
        return fold(self.text)


def grounded(
    spans: Iterable[Span],
    *,
    kind: FieldKind,
    value: Any,
    source: str,
    certainty: float,
    content: str | None = None,
) -> FieldValue:
    """A field read from ``spans`` (in reading order): content, words, page, box and confidence.

    ``certainty`` is how sure the rule is that these words hold the field; the
    confidence is that, times the mean OCR confidence of the words.
    """
    parts = [s for s in spans if s.end > s.start]
    words = [w for s in parts for w in s.words]
    page = parts[0].line.page if parts else None
    boxes = [b for s in parts if s.line.page == page for b in [s.line.box_of(s.start, s.end)] if b]
    ocr = statistics.fmean(w.confidence for w in words) if words else 0.5
    return FieldValue(
        type=kind,
        value=value,
        content=content if content is not None else " ".join(s.text for s in parts),
        confidence=round(max(0.0, min(1.0, certainty * ocr)), 3),
        page=page,
        bbox=BBox.union(boxes) if boxes else None,
        words=list(dict.fromkeys(w.id for w in words)),
        source=source,
    )
