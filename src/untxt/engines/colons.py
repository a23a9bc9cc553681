"""Colons that a text detector misses: two faint dots alone in the gap beside a box of text.

Receipts and forms set labels and values apart with a colon in the gap between them
("Discount   :   0.00"). A detector trained on words sees two specks there, not text,
and boxes the label and the value but not the colon; the line then reads
"Discount 0.00". :func:`find_colons` looks for the colon in those gaps, on the
pixels: two dots of about a stroke's size, one above the other, within the height of
the line beside them, with no other ink level with them. Each colon found becomes a
box of its own, which :func:`untxt.engines.layout.arrange` puts into its line; its
confidence is how alike its two dots are (the smaller one's area over the larger's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from untxt.document import BBox, Word
from untxt.engines.layout import TextBox

__all__ = ["find_colons"]

# How far beside a box (in its heights) a colon is looked for.
_REACH = 6.0
# Ink this close beside a box (in its heights) is taken to belong to it.
_MARGIN = 0.2
# A dot's side, as a share of the line's height.
_DOT_MIN, _DOT_MAX = 0.04, 0.3
# The colon's height from the top of one dot to the bottom of the other.
_SPAN_MIN, _SPAN_MAX = 0.2, 0.7
# Ink is what is darker than the background by this share of the box's contrast.
_INK_SHARE = 0.3
# Boxes with less contrast than this (grey levels) are too faint to judge.
_MIN_CONTRAST = 40
# Components smaller than this many pixels are noise, even beside a dot.
_SPECK = 2


@dataclass(frozen=True)
class _Dot:
    x0: int
    y0: int
    x1: int
    y1: int
    area: int

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def side(self) -> int:
        return max(self.x1 - self.x0, self.y1 - self.y0)


def find_colons(gray: NDArray[np.uint8], boxes: Sequence[TextBox]) -> list[TextBox]:
    """Boxes of one ``:`` each, for colons in the gaps beside ``boxes`` that none of them holds."""
    if not boxes:
        return []
    taken = np.zeros(gray.shape, dtype=bool)
    for box in boxes:
        b = box.bbox
        # Word boxes are drawn tight: the edges of their outer letters lie just outside.
        margin = int(_MARGIN * (b.y1 - b.y0))
        taken[max(b.y0, 0) : b.y1, max(b.x0 - margin, 0) : b.x1 + margin] = True
    found: list[Word] = []
    for box in boxes:
        b = box.bbox
        height = b.y1 - b.y0
        threshold = _ink_threshold(gray[b.y0 : b.y1, b.x0 : b.x1])
        if height < 8 or threshold is None:
            continue
        reach = int(_REACH * height)
        for x0, x1 in ((b.x1, b.x1 + reach), (b.x0 - reach, b.x0)):
            colon = _colon_in(gray, taken, threshold, BBox(x0=x0, y0=b.y0, x1=x1, y1=b.y1))
            if colon is not None and not any(_overlaps(colon.bbox, w.bbox) for w in found):
                found.append(colon)
    return [TextBox(words=[colon]) for colon in found]


def _ink_threshold(crop: NDArray[np.uint8]) -> float | None:
    """The grey level below which a pixel beside this box is ink, or None for a faint box."""
    if crop.size == 0:
        return None
    background = float(np.median(crop))
    ink = float(np.percentile(crop, 5))
    if background - ink < _MIN_CONTRAST:
        return None
    return background - _INK_SHARE * (background - ink)


def _colon_in(
    gray: NDArray[np.uint8], taken: NDArray[np.bool_], threshold: float, window: BBox
) -> Word | None:
    """The colon alone in ``window`` (page pixels), if there is exactly one."""
    height, width = gray.shape
    x0, x1 = max(window.x0, 0), min(window.x1, width)
    y0, y1 = max(window.y0, 0), min(window.y1, height)
    if x1 - x0 < 2 or y1 - y0 < 8:
        return None
    ink = (gray[y0:y1, x0:x1] < threshold) & ~taken[y0:y1, x0:x1]
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    line = y1 - y0
    dots: list[_Dot] = []
    others: list[_Dot] = []
    for left, top, w, h, area in stats[1:count]:
        # Ink cut by the window's top or bottom belongs to the lines above or below.
        if area < _SPECK or top == 0 or top + h == line:
            continue
        blob = _Dot(int(left), int(top), int(left + w), int(top + h), int(area))
        is_dot = _DOT_MIN * line <= blob.side <= _DOT_MAX * line and max(w, h) <= 2 * min(w, h)
        (dots if is_dot else others).append(blob)
    pairs = [(upper, lower) for upper in dots for lower in dots if _is_colon(upper, lower, line)]
    if len(pairs) != 1:
        return None
    upper, lower = pairs[0]
    # Any other ink level with the colon (a letter the detector left out, a stain) makes
    # the gap something other than a lone colon; a rule above or below it does not.
    if any(
        blob is not upper and blob is not lower and blob.y0 < lower.y1 and upper.y0 < blob.y1
        for blob in dots + others
    ):
        return None
    bbox = BBox(
        x0=x0 + min(upper.x0, lower.x0),
        y0=y0 + upper.y0,
        x1=x0 + max(upper.x1, lower.x1),
        y1=y0 + lower.y1,
    )
    likeness = min(upper.area, lower.area) / max(upper.area, lower.area)
    return Word(text=":", bbox=bbox, confidence=round(likeness, 4))


def _is_colon(upper: _Dot, lower: _Dot, line: int) -> bool:
    """Whether ``upper`` and ``lower`` are a colon's dots in a line ``line`` pixels high."""
    side = max(upper.side, lower.side)
    return (
        upper.y1 <= lower.y0
        and _SPAN_MIN * line <= lower.y1 - upper.y0 <= _SPAN_MAX * line
        and lower.y0 - upper.y1 >= 0.8 * side
        and abs(upper.cx - lower.cx) <= side
        and max(upper.area, lower.area) <= 3 * min(upper.area, lower.area)
    )


def _overlaps(a: BBox, b: BBox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
