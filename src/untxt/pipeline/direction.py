"""Whether the text lines across a page stand upside down, by PP-OCR's direction classifier.

rapidocr's wheel ships a small model that tells whether a crop of a text line stands
upright or turned half round. Asked about pieces of a page's longest lines, their
vote settles which way up the page stands. It costs a few hundredths of a second,
where Tesseract's OSD costs tenths, and it reads what OSD is unsure of: receipts'
capitals, digits and rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.imaging.content import content_box
from untxt.imaging.ink import ANALYSIS_SIDE, even_background
from untxt.ocr_models import direction_classifier

# What the model reads: pieces 48 pixels high and at most 192 wide.
_HEIGHT, _WIDTH = 48, 192
# Pieces asked about: the longest lines' first, each line cut into pieces as wide as
# the model reads (4 line heights); a piece shorter than _MIN_ASPECT heights says little.
# On bench/accuracy.py's receipts 16 pieces decide as 24 do; 12 leave more pages unclear.
_MAX_PIECES = 32
_MIN_ASPECT = 1.5
# A piece's vote counts when the model gives one way at least this chance.
_SURE = 0.9
# The page is turned (or left) only when at least MIN_VOTES pieces vote so and they
# outnumber the other way _MAJORITY times. Of bench/accuracy.py's 40 receipts, upright
# and turned half round, none was voted the wrong way; 2 and 4 were left unclear.
MIN_VOTES = 3
_MAJORITY = 3.0
# Pieces are asked about in batches of _ROUND.
_ROUND = 8

# Marks straight and thin over this share of the page's longer side are rules.
_RULE_SHARE = 0.03
# Letters (their 90th percentile height) lower than _FINE_LETTER_PX pixels on a reduced
# copy: the page is looked at closer, at most _FINE_SIDE pixels a side.
_FINE_LETTER_PX = 10
_FINE_SIDE = 2400


@dataclass(frozen=True)
class Vote:
    """The sure votes of the pieces of a page's lines: upright, and upside down."""

    up: int = 0
    down: int = 0

    @property
    def upside_down(self) -> bool | None:
        """The plain answer of the vote; ``None`` when it is unclear."""
        if self.down >= MIN_VOTES and self.down >= _MAJORITY * self.up:
            return True
        if self.up >= MIN_VOTES and self.up >= _MAJORITY * self.down:
            return False
        return None

    @property
    def margin(self) -> int:
        """How many more pieces vote the winning way than the other."""
        return abs(self.up - self.down)


def vote(gray: Image.Image, line_height: float | None) -> Vote:
    """How the pieces of the lines across ``gray`` vote: upright or upside down.

    ``line_height`` is the lines' height in page pixels (see
    :func:`untxt.imaging.ink.line_height`).
    """
    if not line_height:
        return Vote()
    pieces = _pieces(gray, line_height)
    session = direction_classifier() if pieces else None
    if session is None:
        return Vote()
    # Every piece votes: votes in two frames are compared by their margins.
    down = up = 0
    for start in range(0, len(pieces), _ROUND):
        batch = np.stack([_normalised(piece) for piece in pieces[start : start + _ROUND]])
        turned = session.run(None, {session.get_inputs()[0].name: batch})[0][:, 1]
        down += int((turned >= _SURE).sum())
        up += int((turned <= 1 - _SURE).sum())
    return Vote(up=up, down=down)


def upside_down(gray: Image.Image, line_height: float | None) -> bool | None:
    """Whether the lines across ``gray`` stand upside down; ``None`` when the vote is unclear."""
    return vote(gray, line_height).upside_down


def _pieces(gray: Image.Image, line_height: float) -> list[NDArray[np.uint8]]:
    """Crops of ``gray`` along its longest lines, each about as wide as the model reads.

    Lines are found on a small copy, where letters joined by a horizontal smear make one
    component per line (or part of a line, at a wide gap); each line is cut into pieces
    four letters high wide, whose top and bottom follow the line's ink, so that a slight
    skew does not make them tall.
    """
    gray, factor, dark, letters = text_marks(gray)
    # The profile's line height is thrown low by rules (thin bands full of ink): the
    # letters' own height, rules left out, is the floor.
    height = max(line_height / factor, letters)
    smear = np.ones((1, max(1, round(0.8 * height))), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(dark, smear))
    lines = [
        (int(stats[i, cv2.CC_STAT_WIDTH]), i)
        for i in range(1, count)
        if 0.6 * height <= stats[i, cv2.CC_STAT_HEIGHT]
        and stats[i, cv2.CC_STAT_WIDTH] >= 2.5 * height
    ]
    page = np.asarray(gray)
    step = max(1, round(_WIDTH / _HEIGHT * height))
    pieces: list[NDArray[np.uint8]] = []
    for _, label in sorted(lines, reverse=True):
        x, y, w, h = (int(v) for v in stats[label, :4])
        for start in range(x, x + w, step):
            end = min(start + step, x + w)
            rows = np.flatnonzero((labels[y : y + h, start:end] == label).any(axis=1))
            top, bottom = y + int(rows[0]), y + int(rows[-1]) + 1
            tall = bottom - top
            # Rules of dashes and dots are too low to be letters, and say nothing.
            if not 0.6 * height <= tall <= 2 * height or end - start < _MIN_ASPECT * tall:
                continue
            pad = max(1, round(0.2 * tall))
            pieces.append(
                page[
                    max(0, (top - pad) * factor) : (bottom + pad) * factor,
                    max(0, (start - pad) * factor) : (end + pad) * factor,
                ]
            )
            if len(pieces) == _MAX_PIECES:
                return pieces
    return pieces


def text_marks(gray: Image.Image) -> tuple[Image.Image, int, NDArray[np.uint8], float]:
    """The dark marks of ``gray``'s text, reduced: (part read, factor, marks, letter height).

    The marks are those of the part of ``gray`` returned, reduced ``factor`` times, rules
    taken out; the letter height is that of their tall letters there (0 when there are
    too few to tell). The page is reduced to about the analysis copy's size; small
    letters on a large page (a receipt on a flatbed scan) are looked at again, closer,
    on the part of the page that holds them.
    """
    factor = max(1, math.ceil(max(gray.size) / ANALYSIS_SIDE))
    dark, letters = _text(gray, factor)
    if factor > 1 and 0 < letters < _FINE_LETTER_PX:
        box = content_box(gray)
        region = gray.crop(box) if box else gray
        finer = max(
            math.floor(factor * letters / _FINE_LETTER_PX),
            math.ceil(max(region.size) / _FINE_SIDE),
            1,
        )
        if finer < factor:
            gray, factor = region, finer
            dark, letters = _text(gray, factor)
    return gray, factor, dark, letters


def _text(gray: Image.Image, factor: int) -> tuple[NDArray[np.uint8], float]:
    """The dark marks of ``gray`` reduced ``factor`` times, rules taken out, and the
    height of their tall letters there (0 when there are too few to tell)."""
    small = np.asarray(gray.reduce(factor) if factor > 1 else gray)
    evened = even_background(small)
    threshold, _ = cv2.threshold(evened, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark = (evened < min(threshold, 200)).astype(np.uint8)
    # Rules and the borders of a form's boxes are long, straight and thin: taken out,
    # they neither pass for lines of text nor join the text near them into one.
    long = max(3, round(_RULE_SHARE * max(dark.shape)))
    across = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, long), np.uint8))
    down = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((long, 1), np.uint8))
    dark[(across > 0) | (down > 0)] = 0
    return dark, _letter_height(dark)


def _letter_height(dark: NDArray[np.uint8]) -> float:
    """The height of the tall letters (the 90th percentile of the marks that are not
    specks) in ``dark``; 0 when there are too few to tell."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    heights = heights[(heights >= 3) & (stats[1:, cv2.CC_STAT_AREA] >= 6)]
    return float(np.percentile(heights, 90)) if len(heights) >= 10 else 0.0


def _normalised(piece: NDArray[np.uint8]) -> NDArray[np.float32]:
    """``piece`` as the model takes it: 48 high, its width in proportion up to 192, then
    padded; three equal channels scaled to -1..1."""
    width = min(_WIDTH, math.ceil(_HEIGHT * piece.shape[1] / piece.shape[0]))
    resized = cv2.resize(piece, (width, _HEIGHT), interpolation=cv2.INTER_LINEAR)
    # A faint print's letters are grey on grey: stretched to black on white, as the
    # model saw them in training.
    low, high = np.percentile(resized, (2, 98))
    if high - low >= 16:
        resized = np.clip((resized - low) * (255.0 / (high - low)), 0, 255)
    out = np.zeros((3, _HEIGHT, _WIDTH), dtype=np.float32)
    out[:, :, :width] = resized.astype(np.float32) / 127.5 - 1.0
    return out
