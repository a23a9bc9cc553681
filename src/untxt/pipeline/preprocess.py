"""Corrections before recognition: turn pages upright, straighten skewed ones, enlarge small
ones, clean the background; and the map that takes the engine's boxes back to the page.

The analysis runs on a small copy of the page (longer side at most
:data:`ANALYSIS_SIDE` pixels) with its background evened out: the dark pixels'
projection profile, searched over angles, tells whether the text lines run across
or down the page, their skew, their height, and (for Latin script) whether they
stand upright. Tesseract's orientation detection (OSD) is asked only about pages
that do not plainly stand upright, since it costs a few tenths of a second. Each
step acts only on a clear result, so that a clean, upright, well-resolved page
goes to the engine untouched.

The corrections are one affine map of the page; :meth:`Prepared.restore` applies
its inverse to each box the engine returns, so that boxes stay in the pixels of
the page as loaded (see :mod:`untxt.document`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.document import BBox, Block, Line, Page, Preprocessing, Word
from untxt.logs import get_logger
from untxt.options import Preprocess

log = get_logger(__name__)

#: An affine map of the plane: x' = a x + b y + c, y' = d x + e y + f.
Affine = tuple[float, float, float, float, float, float]
IDENTITY: Final[Affine] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

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
_LINES_DOMINATE = 1.2

# Deskew: search +-_MAX_SKEW degrees coarsely, then finely around the best; act only
# beyond _MIN_SKEW (Tesseract reads slightly skewed lines well, and resampling costs
# time) and when straightened lines are clearly sharper than the page as it stands.
_MAX_SKEW = 10.0
_COARSE_STEP, _FINE_STEP = 0.5, 0.05
_MIN_SKEW = 0.5
_MIN_SKEW_GAIN = 1.15

# Orientation: lines across that reach up this much more than down stand upright
# (see _ascent) and OSD is not asked; a turn after which they would reach down
# (below _DOWNRIGHT_ASCENT) is refused.
_UPRIGHT_ASCENT = 1.5
_DOWNRIGHT_ASCENT = 0.8
# OSD reads lines (as _line_height measures them) about this high best: much lower,
# it guesses, confidently. Only a confident answer is taken.
_OSD_LINE_PX = 22
_MAX_OSD_ZOOM = 3.0
_MIN_OSD_CONFIDENCE = 5.0
# OSD is unsure of short texts (a label of up to _FEW_LINES lines). For those, a turn is
# taken without it when the lines run plainly one way (their bands of ink at least
# _SURE_ELONGATION times as long as thick, and that many times more so than the other
# way; the letters of a single line make sharp columns too, so sharpness alone cannot
# tell) and their ascent is plain: reaching up _SURE_ASCENT times more than down once
# turned, and down as plainly the other way. Not for pages: on receipts the ascent
# misleads (digits, capitals and rules), and OSD is sure of most pages anyway.
_FEW_LINES = 5
_SURE_ELONGATION = 3.0
_SURE_ASCENT = 3.0
_MIN_BAND_POINTS = 5

# Upscale: lines lower than _SMALL_LINE_PX pixels (as _line_height measures them, about
# the height of capitals) are enlarged towards _TARGET_LINE_PX, in steps of a half, at
# most _MAX_UPSCALE times. Tesseract reads best with capitals about 30 pixels high
# (10-point text at 300 DPI).
_SMALL_LINE_PX = 16
_TARGET_LINE_PX = 32
_MAX_UPSCALE = 4.0

_PIL_TURN = {
    90: Image.Transpose.ROTATE_270,  # PIL turns counterclockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Prepared:
    """A page image ready for the engine, and how to map its boxes back."""

    image: Image.Image
    preprocessing: Preprocessing
    #: Maps the prepared image's coordinates to the loaded image's.
    to_loaded: Affine
    loaded_size: tuple[int, int]

    def restore(self, page: Page) -> Page:
        """``page``, read from :attr:`image`, in the loaded image's pixels."""
        width, height = self.loaded_size
        update: dict[str, Any] = {"preprocessing": self.preprocessing}
        if self.to_loaded == IDENTITY and (page.width, page.height) == self.loaded_size:
            return page.model_copy(update=update)

        def box(b: BBox) -> BBox:
            return map_box(b, self.to_loaded, width, height)

        update["blocks"] = [
            Block(
                bbox=box(block.bbox),
                lines=[
                    Line(
                        bbox=box(line.bbox),
                        words=[
                            Word(text=w.text, bbox=box(w.bbox), confidence=w.confidence)
                            for w in line.words
                        ],
                    )
                    for line in block.lines
                ],
            )
            for block in page.blocks
        ]
        return page.model_copy(update={**update, "width": width, "height": height})


# -- geometry ---------------------------------------------------------------------------


def compose(first: Affine, then: Affine) -> Affine:
    """The map that applies ``first``, then ``then``."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a2 * a1 + b2 * d1,
        a2 * b1 + b2 * e1,
        a2 * c1 + b2 * f1 + c2,
        d2 * a1 + e2 * d1,
        d2 * b1 + e2 * e1,
        d2 * c1 + e2 * f1 + f2,
    )


def invert(m: Affine) -> Affine:
    """The inverse of an invertible affine map."""
    a, b, c, d, e, f = m
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return (ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def map_box(box: BBox, m: Affine, width: int, height: int) -> BBox:
    """The bounding box of ``box``'s corners under ``m``, clipped to ``width`` x ``height``.

    Box edges are pixel edges: pixel ``i`` spans ``[i, i + 1)``.
    """
    a, b, c, d, e, f = m
    corners = [(x, y) for x in (box.x0, box.x1) for y in (box.y0, box.y1)]
    xs = [a * x + b * y + c for x, y in corners]
    ys = [d * x + e * y + f for x, y in corners]
    # Outwards, so the box still holds its ink; the epsilon absorbs float noise.
    x0 = min(max(math.floor(min(xs) + 1e-6), 0), width)
    y0 = min(max(math.floor(min(ys) + 1e-6), 0), height)
    x1 = min(max(math.ceil(max(xs) - 1e-6), x0), width)
    y1 = min(max(math.ceil(max(ys) - 1e-6), y0), height)
    return BBox(x0=x0, y0=y0, x1=x1, y1=y1)


def turn_map(rotation: int, width: int, height: int) -> Affine:
    """Where points of a ``width`` x ``height`` image go when it turns ``rotation``
    degrees clockwise."""
    if rotation == 90:
        return (0.0, -1.0, float(height), 1.0, 0.0, 0.0)
    if rotation == 180:
        return (-1.0, 0.0, float(width), 0.0, -1.0, float(height))
    if rotation == 270:
        return (0.0, 1.0, 0.0, -1.0, 0.0, float(width))
    return IDENTITY


def straighten_map(
    skew: float, scale: float, width: int, height: int
) -> tuple[Affine, tuple[int, int]]:
    """The map that turns a ``width`` x ``height`` image ``skew`` degrees counterclockwise
    about its centre, on a canvas grown to hold it, and enlarges it ``scale`` times; and
    the size of the result."""
    rad = math.radians(skew)
    cos, sin = math.cos(rad), math.sin(rad)
    grown_w = width * abs(cos) + height * abs(sin)
    grown_h = width * abs(sin) + height * abs(cos)
    out_w, out_h = max(1, round(grown_w * scale)), max(1, round(grown_h * scale))
    sx, sy = out_w / grown_w, out_h / grown_h
    cx, cy = width / 2, height / 2
    # Counterclockwise on screen, where y points down: x' = x cos + y sin, y' = y cos - x sin.
    return (
        sx * cos,
        sx * sin,
        out_w / 2 - sx * (cx * cos + cy * sin),
        -sy * sin,
        sy * cos,
        out_h / 2 - sy * (cy * cos - cx * sin),
    ), (out_w, out_h)


def _warp(image: Image.Image, m: Affine, size: tuple[int, int], enlarge: bool) -> Image.Image:
    """``image`` under the map ``m``, on a white canvas of ``size``."""
    a, b, c, d, e, f = m
    # OpenCV puts pixel centres at whole coordinates, where ours are at halves.
    matrix = np.array(
        [
            [a, b, c + (a + b - 1) / 2],
            [d, e, f + (d + e - 1) / 2],
        ]
    )
    # Cubic when enlarging, where it shows; bilinear (a third of the time) when only
    # turning, where Tesseract's binarisation hides the difference.
    warped = cv2.warpAffine(
        np.asarray(image),
        matrix,
        size,
        flags=cv2.INTER_CUBIC if enlarge else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )
    return Image.fromarray(warped)


# -- analysis ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ink:
    """The dark pixels of the analysis copy, centred, in that copy's pixels."""

    xs: NDArray[np.float64]
    ys: NDArray[np.float64]
    #: Analysis pixels per page pixel.
    scale: float

    def turned(self, rotation: int) -> _Ink:
        """The same ink after the page turns ``rotation`` degrees clockwise."""
        if rotation == 90:
            return _Ink(-self.ys, self.xs, self.scale)
        if rotation == 180:
            return _Ink(-self.xs, -self.ys, self.scale)
        if rotation == 270:
            return _Ink(self.ys, -self.xs, self.scale)
        return self


@dataclass(frozen=True)
class _Lines:
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


def _ink(gray: Image.Image) -> _Ink | None:
    """The dark pixels of a small, evened copy of ``gray``; ``None`` when it holds too
    little (or too much) ink to measure."""
    factor = max(1, math.ceil(max(gray.size) / ANALYSIS_SIDE))
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
    return _Ink(
        xs.astype(np.float64) - width // 2,
        ys.astype(np.float64) - height // 2,
        small.width / gray.width,
    )


def _profile(ink: _Ink, angle: float) -> NDArray[np.int64]:
    """Dark pixels per row of the analysis copy turned ``angle`` degrees counterclockwise."""
    rad = math.radians(angle)
    # floor, not rint: rint rounds halves to even, folding pairs of rows into one.
    rows = np.floor(ink.ys * math.cos(rad) - ink.xs * math.sin(rad)).astype(np.int64)
    return np.bincount(rows - rows.min())


def _sharpness(profile: NDArray[np.int64]) -> float:
    """How much the profile gathers its ink in few rows: 1 when spread evenly."""
    total = float(profile.sum())
    return float(np.square(profile, dtype=np.float64).sum()) * len(profile) / (total * total)


def _lines(ink: _Ink) -> _Lines:
    """The angle within +-_MAX_SKEW degrees at which the ink's rows are sharpest."""
    coarse = np.arange(-_MAX_SKEW, _MAX_SKEW + _COARSE_STEP / 2, _COARSE_STEP)
    scores = [_sharpness(_profile(ink, a)) for a in coarse]
    best = float(coarse[int(np.argmax(scores))])
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP)
    fine = fine[np.abs(fine) <= _MAX_SKEW]
    scores = [_sharpness(_profile(ink, a)) for a in fine]
    return _Lines(
        angle=float(fine[int(np.argmax(scores))]),
        sharpness=max(scores),
        level=_sharpness(_profile(ink, 0.0)),
    )


def _bands(profile: NDArray[np.int64], share: float) -> NDArray[np.int64]:
    """Start and end rows of the runs of rows holding more than ``share`` of the ink of
    the fullest rows, as pairs."""
    floor = share * float(np.percentile(profile[profile > 0], 95))
    inked = (profile > max(floor, 0.5)).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], inked, [0]))))
    return edges.reshape(-1, 2)


def _line_height(ink: _Ink, angle: float) -> float | None:
    """Height of the text lines (about that of capitals), in page pixels: the median over
    the ink, so that the slivers of descenders and specks below the lines do not count."""
    profile = _profile(ink, angle)
    bands = _bands(profile, 0.05)
    if len(bands) == 0:
        return None
    heights = bands[:, 1] - bands[:, 0]
    mass = np.array([profile[start:end].sum() for start, end in bands], dtype=np.float64)
    order = np.argsort(heights)
    middle = np.searchsorted(np.cumsum(mass[order]), mass.sum() / 2)
    return float(heights[order][middle]) / ink.scale


def _ascent(ink: _Ink, angle: float) -> float:
    """Ink above the cores of the lines over ink below them; 1 when there is too little
    of either to tell.

    Latin letters reach up (capitals, digits, b d f h k l t, accents) much more often
    than down (g j p q y): well above 1 on an upright page, below 1 upside down.
    """
    profile = _profile(ink, angle)
    above = below = 0
    for start, end in _bands(profile, 0.01):
        band = profile[start:end]
        core = np.flatnonzero(band >= 0.4 * band.max())
        above += int(band[: core[0]].sum())
        below += int(band[core[-1] + 1 :].sum())
    if above + below < 0.02 * float(profile.sum()):
        return 1.0
    return above / max(below, 1)


# -- orientation --------------------------------------------------------------------------

_OSD_LOCK = threading.Lock()
_OSD_APIS: dict[Path, Any] = {}
_OSD_MISSING: set[Path] = set()


def _osd_api(tessdata: Path | None) -> Any:
    """This process's OSD-only TessBaseAPI for the folder; ``None`` without ``osd`` data."""
    from untxt.engines.tesseract import find_tessdata

    folder = find_tessdata(tessdata)
    if folder is None or folder in _OSD_MISSING:
        return None
    api = _OSD_APIS.get(folder)
    if api is None:
        if not (folder / "osd.traineddata").exists():
            _OSD_MISSING.add(folder)
            log.warning("no osd.traineddata: pages are not turned upright", tessdata=str(folder))
            return None
        import tesserocr

        api = tesserocr.PyTessBaseAPI(path=f"{folder}/", lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        _OSD_APIS[folder] = api
    return api


def _osd(gray: Image.Image, line_height: float | None, tessdata: Path | None) -> int:
    """Tesseract's turn (degrees clockwise) for ``gray``; 0 when it is unsure."""
    factor = min(_MAX_OSD_ZOOM, _OSD_LINE_PX / line_height) if line_height else 1.0
    if not 0.9 <= factor <= 1.1:
        size = (max(1, round(gray.width * factor)), max(1, round(gray.height * factor)))
        gray = gray.resize(size, Image.Resampling.BOX if factor < 1 else Image.Resampling.BICUBIC)
    with _OSD_LOCK:
        api = _osd_api(tessdata)
        if api is None:
            return 0
        try:
            api.SetImage(gray)
            found = api.DetectOrientationScript()
        except RuntimeError:
            found = None
        finally:
            api.Clear()
    if not found or found["orient_conf"] < _MIN_OSD_CONFIDENCE:
        return 0
    # OSD reports how far the page was turned clockwise; undoing that turns it back.
    return (360 - int(found["orient_deg"])) % 360


def _orientation(
    gray: Image.Image, ink: _Ink, rows: _Lines, columns: _Lines, tessdata: Path | None
) -> int:
    """Degrees clockwise that turn the page upright; 0 unless sure of a turn.

    A page whose lines run across and reach up stands upright: the common case asks
    no OSD. Otherwise OSD decides, and its answer stands only if the lines run the way
    it implies and, once turned, do not plainly reach down.
    """
    across = rows.sharpness >= _LINES_DOMINATE * columns.sharpness
    down = columns.sharpness >= _LINES_DOMINATE * rows.sharpness
    if not (across or down) or (across and _ascent(ink, rows.angle) >= _UPRIGHT_ASCENT):
        return 0
    lines = rows if across else columns
    turn = _osd(gray, _line_height(ink if across else ink.turned(90), lines.angle), tessdata)
    if turn == 0:
        return _turn_by_shape(ink, rows, columns, across=across)
    if across != (turn == 180):
        return 0
    if _ascent(ink.turned(turn), lines.angle) < _DOWNRIGHT_ASCENT:
        return 0
    return turn


def _elongation(ink: _Ink, angle: float) -> float:
    """Median length over thickness of the bands of ink that run across at ``angle``."""
    rad = math.radians(angle)
    rows = np.floor(ink.ys * math.cos(rad) - ink.xs * math.sin(rad)).astype(np.int64)
    rows -= rows.min()
    along = ink.xs * math.cos(rad) + ink.ys * math.sin(rad)
    ratios = []
    for start, end in _bands(np.bincount(rows), 0.05):
        band = along[(rows >= start) & (rows < end)]
        if len(band) >= _MIN_BAND_POINTS:
            length = float(np.percentile(band, 99) - np.percentile(band, 1))
            ratios.append(length / (end - start))
    return float(np.median(ratios)) if ratios else 0.0


def _turn_by_shape(ink: _Ink, rows: _Lines, columns: _Lines, *, across: bool) -> int:
    """A turn for a text too short for OSD (see _FEW_LINES); 0 unless plain.

    The lines must run the same way by their sharpness (``across``) and by their shape.
    """
    lines, frame = (rows, ink) if across else (columns, ink.turned(90))
    if len(_bands(_profile(frame, lines.angle), 0.05)) > _FEW_LINES:
        return 0
    along = _elongation(frame, lines.angle)
    other = _elongation(ink.turned(90) if across else ink, (columns if across else rows).angle)
    if along < _SURE_ELONGATION or along < _SURE_ELONGATION * other:
        return 0
    for turn in (180,) if across else (90, 270):
        if (
            _ascent(ink.turned(turn), lines.angle) >= _SURE_ASCENT
            and _ascent(ink.turned((turn + 180) % 360), lines.angle) <= 1 / _SURE_ASCENT
        ):
            return turn
    return 0


# -- the steps ------------------------------------------------------------------------------


def _upscale_factor(line_height: float | None, size: tuple[int, int], max_pixels: int) -> float:
    """How much to enlarge a page whose text lines are small; 1 when they are not."""
    if line_height is None or line_height >= _SMALL_LINE_PX:
        return 1.0
    factor = min(_MAX_UPSCALE, math.floor(2 * _TARGET_LINE_PX / line_height) / 2)
    # Never past the pixel limit the page itself had to meet.
    factor = min(factor, math.floor(2 * math.sqrt(max_pixels / (size[0] * size[1]))) / 2)
    return factor if factor > 1 else 1.0


def clean(image: Image.Image) -> Image.Image:
    """Even out the background, remove specks, binarise: black text on white, mode ``L``."""
    gray = np.asarray(image if image.mode == "L" else image.convert("L"))
    evened = cv2.medianBlur(even_background(gray), 3)
    _, binary = cv2.threshold(evened, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return Image.fromarray(binary)


def prepare(
    image: Image.Image,
    options: Preprocess,
    *,
    upscale: bool,
    max_pixels: int,
    tessdata: Path | None = None,
) -> Prepared:
    """Apply the corrections ``options`` ask for to ``image`` (mode ``L`` or ``RGB``).

    ``upscale`` says whether enlarging is allowed at all: PDF pages are rendered at the
    resolution the job asked for, and are not enlarged. ``max_pixels`` bounds the
    enlarged image; ``tessdata`` is where to find Tesseract's ``osd`` data.
    """
    loaded = image.size
    to_prepared = IDENTITY
    rotation, skew, scale = 0, 0.0, 1.0
    upscale = upscale and options.upscale
    gray = image if image.mode == "L" else image.convert("L")
    ink = _ink(gray) if options.orientation or options.deskew or upscale else None
    if ink is not None:
        rows, columns = _lines(ink), _lines(ink.turned(90))
        if options.orientation:
            rotation = _orientation(gray, ink, rows, columns, tessdata)
        if rotation:
            to_prepared = turn_map(rotation, *image.size)
            image = image.transpose(_PIL_TURN[rotation])
            ink = ink.turned(rotation)
            if rotation != 180:
                rows, columns = columns, rows
        # Lines down a page left on its side are straightened and measured just the same.
        frame: tuple[_Lines, _Ink] | None = None
        if rows.sharpness >= _LINES_DOMINATE * columns.sharpness:
            frame = rows, ink
        elif columns.sharpness >= _LINES_DOMINATE * rows.sharpness:
            frame = columns, ink.turned(90)
        if frame is not None:
            lines, lines_ink = frame
            if options.deskew:
                skew = lines.skew
            if upscale:
                height = _line_height(lines_ink, lines.angle)
                scale = _upscale_factor(height, image.size, max_pixels)

    if skew:
        straighten, size = straighten_map(skew, scale, *image.size)
        image = _warp(image, straighten, size, enlarge=scale > 1)
        to_prepared = compose(to_prepared, straighten)
    elif scale != 1.0:
        size = (round(image.width * scale), round(image.height * scale))
        to_prepared = compose(
            to_prepared, (size[0] / image.width, 0.0, 0.0, 0.0, size[1] / image.height, 0.0)
        )
        resized = cv2.resize(np.asarray(image), size, interpolation=cv2.INTER_CUBIC)
        image = Image.fromarray(resized)

    if options.clean:
        image = clean(image)

    return Prepared(
        image=image,
        preprocessing=Preprocessing(
            rotation=rotation,
            skew=skew,
            scale=scale,
            cleaned=options.clean,
        ),
        to_loaded=invert(to_prepared),
        loaded_size=loaded,
    )
