"""Which way up a page reads: PP-OCR's recogniser reads a few of its lines every way round.

The recogniser was trained on upright lines. Read upright, a line of print gives many
characters the model is sure of; upside down or on its side, the same marks give few,
and unsure ones. Where the direction classifier's vote on small pieces of lines is too
close to call (:mod:`untxt.pipeline.orientation`), the lines with the most letters are
read whole, as they stand and turned half round, in the page as it stands and turned a
quarter: four readings of the same marks, one per way up, which differ by far more
than chance when the page has text to read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.ocr_models import LineRecognizer, line_recognizer
from untxt.pipeline.direction import text_marks

# The recogniser reads lines 48 pixels high; a line is read up to _MAX_ASPECT heights
# long (its start), enough characters to count and a bounded cost.
_HEIGHT = 48
_MAX_ASPECT = 12
# Lines read in each frame: those with the most letters, and at least _MIN_LETTERS.
_LINES = 4
_MIN_LETTERS = 3
# A character counts when the model gives it at least this chance (as a piece's vote
# counts in untxt.pipeline.direction).
_SURE = 0.9
# A way up stands when its lines read at least MIN_CHARACTERS sure letters and digits
# (about two words) and _MAJORITY times as many as any other way up.
MIN_CHARACTERS = 10
_MAJORITY = 3.0

#: The turns (degrees clockwise) the four readings stand for, in order.
TURNS = (0, 90, 180, 270)


@dataclass(frozen=True)
class Legibility:
    """Sure letters and digits read from the same lines, for each turn of :data:`TURNS`."""

    characters: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def turn(self) -> int | None:
        """The turn that makes the page read plainly best; ``None`` when none does."""
        ranked = sorted(zip(self.characters, TURNS, strict=True), reverse=True)
        (best, turn), (runner_up, _) = ranked[0], ranked[1]
        if best >= MIN_CHARACTERS and best >= _MAJORITY * runner_up:
            return turn
        return None

    def reads_best(self, turn: int) -> bool:
        """Whether the page reads turned ``turn`` degrees at least as well as any other way
        (as when nothing is read at all)."""
        return self.characters[TURNS.index(turn)] >= max(self.characters)


def legibility(gray: Image.Image) -> Legibility:
    """How many sure letters and digits the recogniser reads from ``gray``'s lines, for
    each turn that could put it upright."""
    recognizer = line_recognizer()
    if recognizer is None:
        return Legibility()
    # Turned a quarter clockwise, lines that ran down the page run across it.
    across = _lines(gray)
    down = _lines(gray.transpose(Image.Transpose.ROTATE_270))
    none, half = _read(recognizer, across) if across else (0, 0)
    quarter, three_quarters = _read(recognizer, down) if down else (0, 0)
    return Legibility((none, quarter, half, three_quarters))


def _lines(gray: Image.Image) -> list[NDArray[np.uint8]]:
    """Crops of the lines across ``gray`` that hold the most letters, most first.

    As for the direction classifier's pieces, letters joined by a horizontal smear make
    one component per line (or part of a line, at a wide gap). A line is ranked by its
    letters (marks about a letter high), so that rows of dashes and dots, long as they
    may be, are not read.
    """
    gray, factor, dark, height = text_marks(gray)
    if not height:
        return []
    smear = np.ones((1, max(1, round(0.8 * height))), np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(dark, smear))
    _, _, marks, centres = cv2.connectedComponentsWithStats(dark)
    tall = marks[1:, cv2.CC_STAT_HEIGHT]
    letters = centres[1:][(tall >= 0.5 * height) & (tall <= 1.5 * height)].astype(np.int64)
    owners = labels[letters[:, 1], letters[:, 0]]
    per_line = np.bincount(owners, minlength=count)
    candidates = [
        (int(per_line[i]), i)
        for i in range(1, count)
        if 0.6 * height <= stats[i, cv2.CC_STAT_HEIGHT] <= 2 * height
        and stats[i, cv2.CC_STAT_WIDTH] >= 3 * height
        and per_line[i] >= _MIN_LETTERS
    ]
    page = np.asarray(gray)
    crops = []
    for _, label in sorted(candidates, reverse=True)[:_LINES]:
        x, y, w, h = (int(v) for v in stats[label, :4])
        w = min(w, round(_MAX_ASPECT * h))
        pad = max(1, round(0.2 * h))
        crops.append(
            page[
                max(0, (y - pad) * factor) : (y + h + pad) * factor,
                max(0, (x - pad) * factor) : (x + w + pad) * factor,
            ]
        )
    return crops


def _read(recognizer: LineRecognizer, lines: list[NDArray[np.uint8]]) -> tuple[int, int]:
    """Sure letters and digits read from ``lines`` as they stand, and turned half round."""
    normalised = [_normalised(line) for line in lines]
    images = normalised + [image[::-1, ::-1] for image in normalised]
    width = max(image.shape[1] for image in images)
    batch = np.zeros((len(images), 3, _HEIGHT, width), dtype=np.float32)
    for index, image in enumerate(images):
        batch[index, :, :, : image.shape[1]] = image
    session = recognizer.session
    probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
    counts = [_sure_characters(p, recognizer.alphanumeric) for p in probs]
    return sum(counts[: len(lines)]), sum(counts[len(lines) :])


def _sure_characters(probs: NDArray[np.float32], alphanumeric: NDArray[np.bool_]) -> int:
    """Letters and digits the greedy reading of one line holds at probability _SURE or
    more (a character spans a run of columns; its peak counts)."""
    best = probs.argmax(axis=1)
    peak = probs.max(axis=1)
    starts = np.flatnonzero(np.concatenate(([True], best[1:] != best[:-1])))
    peaks = np.maximum.reduceat(peak, starts)
    symbols = best[starts]
    return int(((symbols != 0) & alphanumeric[symbols] & (peaks >= _SURE)).sum())


def _normalised(line: NDArray[np.uint8]) -> NDArray[np.float32]:
    """``line`` as the recogniser takes it: 48 high, its width in proportion up to
    _MAX_ASPECT heights, black stretched to -1 and white to 1."""
    width = max(1, min(_MAX_ASPECT * _HEIGHT, math.ceil(_HEIGHT * line.shape[1] / line.shape[0])))
    shrink = line.shape[0] > _HEIGHT
    resized = cv2.resize(
        line, (width, _HEIGHT), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    ).astype(np.float32)
    # A faint print's letters are grey on grey: stretched to black on white.
    low, high = np.percentile(resized, (2, 98))
    if high - low >= 16:
        resized = np.clip((resized - low) * (255.0 / (high - low)), 0, 255)
    return resized / 127.5 - 1.0
