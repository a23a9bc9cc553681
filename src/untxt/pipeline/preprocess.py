"""Corrections before recognition: turn pages upright, straighten skewed ones, enlarge small
ones, clean the background; and the map that takes the engine's boxes back to the page.

What to correct is measured on the page's ink (:mod:`untxt.imaging.ink`: which way
the lines run, their skew and height) and, for which way up it stands, by
:mod:`untxt.pipeline.orientation`. Each step acts only on a clear result, so that a
clean, upright, well-resolved page goes to the engine untouched.

The corrections are one affine map of the page; :meth:`Prepared.restore` applies
its inverse to each box the engine returns, so that boxes stay in the pixels of
the page as loaded (see :mod:`untxt.document`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from untxt.document import BBox, Block, Line, Page, Preprocessing, Word
from untxt.imaging.content import content_box, content_margin
from untxt.imaging.ink import (
    LINES_DOMINATE,
    Ink,
    Lines,
    even_background,
    find_lines,
    line_height,
    measure_ink,
)
from untxt.options import Preprocess
from untxt.pipeline.orientation import orientation

#: An affine map of the plane: x' = a x + b y + c, y' = d x + e y + f.
Affine = tuple[float, float, float, float, float, float]
IDENTITY: Final[Affine] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

# Upscale: lines lower than _SMALL_LINE_PX pixels (as line_height measures them, about
# the height of capitals) are enlarged towards _TARGET_LINE_PX, in steps of a half, at
# most _MAX_UPSCALE times. Tesseract reads best with capitals about 30 pixels high
# (10-point text at 300 DPI).
_SMALL_LINE_PX = 16
_TARGET_LINE_PX = 32
_MAX_UPSCALE = 4.0

# For engines that allow it, skews up to this many degrees are levelled by shifting
# whole columns of pixels up or down (a shear): lines come out level, each pixel as it
# was, in about a quarter of the time of turning the page. Glyphs keep their lean,
# slight this close to upright, and edges step by whole pixels: the PP-OCR recogniser
# reads receipts a little worse so (word F1 -0.01 to -0.04 on three of four skewed
# ones), Tesseract, which binarises first, the same.
_SHEAR_MAX_SKEW = 3.0

# Pages larger than this a side are cut to the part that holds their marks first.
_CROP_SIDE = 2000

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


def _shift(dx: float, dy: float) -> Affine:
    """The map that moves points by ``(dx, dy)``."""
    return (1.0, 0.0, float(dx), 0.0, 1.0, float(dy))


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


def shear_map(
    skew: float, width: int, height: int
) -> tuple[Affine, tuple[int, int], NDArray[np.int64]]:
    """The map that levels lines leaning ``skew`` degrees (counterclockwise straightens
    them) by moving each column of a ``width`` x ``height`` image down; the size of the
    result, and how many whole pixels each column moves down."""
    slope = math.tan(math.radians(skew))
    # As turning would, to first order: y' = y - slope * (x - width / 2), at column centres.
    drops = np.round(-slope * (np.arange(width) + 0.5 - width / 2)).astype(np.int64)
    lift = int(drops.min())
    drops -= lift
    size = (width, height + int(drops.max()))
    return (1.0, 0.0, 0.0, -slope, 1.0, slope * width / 2 - lift), size, drops


def shear_columns(
    image: Image.Image, drops: NDArray[np.int64], size: tuple[int, int]
) -> Image.Image:
    """``image`` with column ``x`` moved ``drops[x]`` pixels down, on a white canvas of
    ``size``."""
    pixels = np.asarray(image)
    out = np.full((size[1], size[0], *pixels.shape[2:]), 255, dtype=np.uint8)
    # Neighbouring columns move together: one copy per run of them.
    edges = np.flatnonzero(np.diff(drops)) + 1
    starts, ends = np.concatenate(([0], edges)), np.concatenate((edges, [image.width]))
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        top = int(drops[start])
        out[top : top + image.height, start:end] = pixels[:, start:end]
    return Image.fromarray(out)


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


def _orientation(gray: Image.Image, ink: Ink, tessdata: Path | None) -> int:
    return orientation(gray, ink, find_lines(ink), find_lines(ink.turned(90)), tessdata)


def prepare(
    image: Image.Image,
    options: Preprocess,
    *,
    upscale: bool,
    max_pixels: int,
    tessdata: Path | None = None,
    shear: bool = False,
) -> Prepared:
    """Apply the corrections ``options`` ask for to ``image`` (mode ``L`` or ``RGB``).

    ``upscale`` says whether enlarging is allowed at all: PDF pages are rendered at the
    resolution the job asked for, and are not enlarged. ``max_pixels`` bounds the
    enlarged image; ``tessdata`` overrides where Tesseract's ``osd`` data is (by default
    where this process's engines look, see :mod:`untxt.ocr_models`). ``shear``
    allows levelling a slight skew by shifting columns rather than turning the page.
    """
    loaded = image.size
    to_prepared = IDENTITY
    rotation, skew, scale = 0, 0.0, 1.0
    upscale = upscale and options.upscale
    gray = image if image.mode == "L" else image.convert("L")
    ink = measure_ink(gray) if options.orientation or options.deskew or upscale else None
    # A small receipt on a large scan: it alone is turned and straightened, a fraction
    # of the pixels. Its way up is told from it alone (on the whole page's analysis
    # copy its letters are too small, or not found at all); its skew and size from the
    # whole page where that has ink enough, since the cut would change their measure.
    margin = content_margin(*image.size)
    cut = content_box(gray, margin=margin) if max(image.size) > _CROP_SIDE else None
    if cut is not None:
        image = image.crop(cut)
        to_prepared = _shift(-cut[0], -cut[1])
        if options.orientation or ink is None:
            part = gray.crop(cut)
            part_ink = measure_ink(part)
            if options.orientation and part_ink is not None:
                rotation = _orientation(part, part_ink, tessdata)
            ink = ink if ink is not None else part_ink
    elif ink is not None and options.orientation:
        rotation = _orientation(gray, ink, tessdata)
    if ink is not None:
        rows, columns = find_lines(ink), find_lines(ink.turned(90))
        if rotation:
            ink = ink.turned(rotation)
            if rotation != 180:
                rows, columns = columns, rows
        # Lines down a page left on its side are straightened and measured just the same.
        frame: tuple[Lines, Ink] | None = None
        if rows.sharpness >= LINES_DOMINATE * columns.sharpness:
            frame = rows, ink
        elif columns.sharpness >= LINES_DOMINATE * rows.sharpness:
            frame = columns, ink.turned(90)
        if frame is not None:
            lines, lines_ink = frame
            if options.deskew:
                skew = lines.skew
            if upscale:
                height = line_height(lines_ink, lines.angle)
                scale = _upscale_factor(height, image.size, max_pixels)

    if rotation:
        to_prepared = compose(to_prepared, turn_map(rotation, *image.size))
        image = image.transpose(_PIL_TURN[rotation])

    if skew and shear and scale == 1.0 and abs(skew) <= _SHEAR_MAX_SKEW:
        level, size, drops = shear_map(skew, *image.size)
        image = shear_columns(image, drops, size)
        to_prepared = compose(to_prepared, level)
    elif skew:
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

    if cut is not None and (skew or scale != 1.0):
        # Straightening grew the canvas round the cut: back to the marks and the margin
        # they had, so that an engine reading at a bounded resolution spends it on them.
        tight = content_box(image, margin=margin * scale, most=1.0)
        if tight is not None:
            image = image.crop(tight)
            to_prepared = compose(to_prepared, _shift(-tight[0], -tight[1]))

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
