"""The ink of a page, measured: which way its text lines run, their skew, height and ascent.

The analysis runs on a small copy of the page (longer side at most
:data:`ANALYSIS_SIDE` pixels) with its background evened out: the dark pixels'
projection profile, searched over angles, tells whether the text lines run across
or down the page, their skew, their height, and (for Latin script) whether they
stand upright.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

# The analysis copy: large enough to see a 300-DPI page's lines, small enough that
# the angle search takes milliseconds.
ANALYSIS_SIDE = 1200
# More dark pixels than this are sampled: the profile does not need them all.
_MAX_POINTS = 30_000
# Fewer than this, or a dark share outside these bounds (blank, a photo, inverted),
# and there is nothing to measure.
_MIN_POINTS = 400
_MIN_INK, _MAX_INK = 0.002, 0.35
# The paper's brightness is estimated on a copy this many times smaller, where a
# maximum filter wipes out the (dark, thin) text.
_BACKGROUND_REDUCE = 8

# Lines run across the page when its rows are this much sharper than its columns
# (see _sharpness), down it when the columns are.
LINES_DOMINATE = 1.2

# Deskew: search +-_MAX_SKEW degrees coarsely, then finely around the best; act only
# beyond _MIN_SKEW (Tesseract reads slightly skewed lines well, and resampling costs
# time) and when straightened lines are clearly sharper than the page as it stands.
_MAX_SKEW = 10.0
_COARSE_STEP, _FINE_STEP = 0.5, 0.05
_MIN_SKEW = 0.5
_MIN_SKEW_GAIN = 1.15
# A band of ink with fewer points than this is a speck, not a line.
_MIN_BAND_POINTS = 5


@dataclass(frozen=True)
class Ink:
    """The dark pixels of the analysis copy, centred, in that copy's pixels."""

    xs: NDArray[np.float64]
    ys: NDArray[np.float64]
    #: Analysis pixels per page pixel.
    scale: float

    def turned(self, rotation: int) -> Ink:
        """The same ink after the page turns ``rotation`` degrees clockwise."""
        if rotation == 90:
            return Ink(-self.ys, self.xs, self.scale)
        if rotation == 180:
            return Ink(-self.xs, -self.ys, self.scale)
        if rotation == 270:
            return Ink(self.ys, -self.xs, self.scale)
        return self


@dataclass(frozen=True)
class Lines:
    """How sharply the ink falls into rows: at its best angle, and as the page stands."""

    angle: float
    sharpness: float
    level: float

    @property
    def skew(self) -> float:
        """Degrees counterclockwise that straighten the lines; 0 when small or unclear."""
        if not _MIN_SKEW <= abs(self.angle) <= _MAX_SKEW - _COARSE_STEP:
            return 0.0
        if self.sharpness < _MIN_SKEW_GAIN * self.level:
            return 0.0
        return round(self.angle, 2)


def even_background(gray: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``gray`` divided by its estimated paper brightness: shadows and tints turn white."""
    height, width = gray.shape
    small = cv2.resize(
        gray,
        (max(1, width // _BACKGROUND_REDUCE), max(1, height // _BACKGROUND_REDUCE)),
        interpolation=cv2.INTER_AREA,
    )
    paper = cv2.GaussianBlur(cv2.dilate(small, np.ones((5, 5), np.uint8)), (5, 5), 0)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    evened: NDArray[np.uint8] = cv2.divide(gray, np.maximum(paper, 1), scale=255).astype(np.uint8)
    return evened


def measure_ink(gray: Image.Image, side: int = ANALYSIS_SIDE) -> Ink | None:
    """The dark pixels of an evened copy of ``gray`` at most ``side`` pixels a side;
    ``None`` when it holds too little (or too much) ink to measure."""
    factor = max(1, math.ceil(max(gray.size) / side))
    small = gray.reduce(factor) if factor > 1 else gray
    pixels = even_background(np.asarray(small))
    threshold, _ = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark = pixels < min(threshold, 200)
    if not _MIN_INK <= float(dark.mean()) <= _MAX_INK:
        return None
    ys, xs = np.nonzero(dark)
    if len(xs) < _MIN_POINTS:
        return None
    if len(xs) > _MAX_POINTS:
        # A fixed seed: the same page is analysed the same way every time.
        keep = np.random.default_rng(0).choice(len(xs), _MAX_POINTS, replace=False)
        xs, ys = xs[keep], ys[keep]
    height, width = dark.shape
    return Ink(
        xs.astype(np.float64) - width // 2,
        ys.astype(np.float64) - height // 2,
        small.width / gray.width,
    )


def profile(ink: Ink, angle: float) -> NDArray[np.int64]:
    """Dark pixels per row of the analysis copy turned ``angle`` degrees counterclockwise."""
    rad = math.radians(angle)
    # floor, not rint: rint rounds halves to even, folding pairs of rows into one.
    rows = np.floor(ink.ys * math.cos(rad) - ink.xs * math.sin(rad)).astype(np.int64)
    return np.bincount(rows - rows.min())


def _sharpness(profile: NDArray[np.int64]) -> float:
    """How much the profile gathers its ink in few rows: 1 when spread evenly."""
    total = float(profile.sum())
    return float(np.square(profile, dtype=np.float64).sum()) * len(profile) / (total * total)


def find_lines(ink: Ink) -> Lines:
    """The angle within +-_MAX_SKEW degrees at which the ink's rows are sharpest."""
    coarse = np.arange(-_MAX_SKEW, _MAX_SKEW + _COARSE_STEP / 2, _COARSE_STEP)
    scores = [_sharpness(profile(ink, a)) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP)
    fine = fine[np.abs(fine) <= _MAX_SKEW]
    scores = [_sharpness(profile(ink, a)) for a in fine]
    return Lines(
        angle=float(fine[int(np.argmax(scores))]),
        sharpness=max(scores),
        level=_sharpness(profile(ink, 0.0)),
    )


def bands(profile: NDArray[np.int64], share: float) -> NDArray[np.int64]:
    """Start and end rows of the runs of rows holding more than ``share`` of the ink of
    the fullest rows, as pairs."""
    floor = share * float(np.percentile(profile[profile > 0], 95))
    inked = (profile > max(floor, 0.5)).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inked, [0]))))
    return edges.reshape(-1, 2)


def line_height(ink: Ink, angle: float) -> float | None:
    """Height of the text lines (about that of capitals), in page pixels: the median over
    the ink, so that the slivers of descenders and specks below the lines do not count."""
    counts = profile(ink, angle)
    runs = bands(counts, 0.05)
    if len(runs) == 0:
        return None
    heights = runs[:, 1] - runs[:, 0]
    mass = np.array([counts[start:end].sum() for start, end in runs], dtype=np.float64)
    order = np.argsort(heights)
    middle = np.searchsorted(np.cumsum(mass[order]), mass.sum() / 2)
    return float(heights[order][middle]) / ink.scale


def ascent(ink: Ink, angle: float) -> float:
    """Ink above the cores of the lines over ink below them; 1 when there is too little
    of either to tell.

    Latin letters reach up (capitals, digits, b d f h k l t, accents) much more often
    than down (g j p q y): well above 1 on an upright page, below 1 upside down.
    """
    counts = profile(ink, angle)
    above = below = 0
    for start, end in bands(counts, 0.01):
        band = counts[start:end]
        core = np.flatnonzero(band >= 0.4 * band.max())
        above += int(band[: core[0]].sum())
        below += int(band[core[-1] + 1 :].sum())
    if above + below < 0.02 * float(counts.sum()):
        return 1.0
    return above / max(below, 1)


def elongation(ink: Ink, angle: float) -> float:
    """Median length over thickness of the bands of ink that run across at ``angle``."""
    rad = math.radians(angle)
    rows = np.floor(ink.ys * math.cos(rad) - ink.xs * math.sin(rad)).astype(np.int64)
    rows -= rows.min()
    along = ink.xs * math.cos(rad) + ink.ys * math.sin(rad)
    ratios = []
    for start, end in bands(np.bincount(rows), 0.05):
        band = along[(rows >= start) & (rows < end)]
        if len(band) >= _MIN_BAND_POINTS:
            length = float(np.percentile(band, 99) - np.percentile(band, 1))
            ratios.append(length / (end - start))
    return float(np.median(ratios)) if ratios else 0.0
