"""Where on a page its marks are: the part worth reading when a small receipt lies on a
large scan."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from untxt.imaging.ink import ANALYSIS_SIDE, even_background

# Marks this many analysis pixels high or more are text (or at least not dust); smaller
# ones are specks. An A4 page's 6-point text is still about 5 pixels high at 1200 pixels.
_MIN_MARK_PX = 4
_MIN_MARK_AREA = 8
# Paper is about 255 once evened out: marks are what Otsu's threshold finds darker,
# and never anything lighter than this (JPEG noise on a blank page).
_MARK_LEVEL = 235
# The content box is grown by this share of the page's longer side (and a few pixels)...
_CONTENT_MARGIN = 0.02
# ... and used only when it leaves out this much of the page at least.
_MAX_CONTENT_SHARE = 0.6


def content_margin(width: int, height: int) -> float:
    """The margin, in pixels, that :func:`content_box` leaves around the marks of a
    ``width`` x ``height`` image."""
    factor = max(1, math.ceil(max(width, height) / ANALYSIS_SIDE))
    return (_CONTENT_MARGIN * math.ceil(max(width, height) / factor) + 4) * factor


def content_box(
    image: Image.Image, *, margin: float | None = None, most: float = _MAX_CONTENT_SHARE
) -> tuple[int, int, int, int] | None:
    """The part of ``image`` holding its marks, with a margin, as ``(x0, y0, x1, y1)``;
    ``None`` when that is more than ``most`` of the image (or it holds none).

    ``margin`` (pixels) defaults to :func:`content_margin`'s.

    A small receipt on a large flatbed scan is mostly empty paper: reading only the
    part with marks costs a fraction of the time, and lets an engine that works at a
    bounded resolution spend it on the text. Specks of dust do not count.
    """
    gray = image if image.mode == "L" else image.convert("L")
    factor = max(1, math.ceil(max(gray.size) / ANALYSIS_SIDE))
    small = gray.reduce(factor) if factor > 1 else gray
    evened = cv2.medianBlur(even_background(np.asarray(small)), 3)
    threshold, _ = cv2.threshold(evened, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    marks = (evened < min(threshold, _MARK_LEVEL)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    keep = (stats[1:, cv2.CC_STAT_HEIGHT] >= _MIN_MARK_PX) & (
        stats[1:, cv2.CC_STAT_AREA] >= _MIN_MARK_AREA
    )
    if count <= 1 or not keep.any():
        return None
    kept = stats[1:][keep]
    x0 = int(kept[:, cv2.CC_STAT_LEFT].min())
    y0 = int(kept[:, cv2.CC_STAT_TOP].min())
    x1 = int((kept[:, cv2.CC_STAT_LEFT] + kept[:, cv2.CC_STAT_WIDTH]).max())
    y1 = int((kept[:, cv2.CC_STAT_TOP] + kept[:, cv2.CC_STAT_HEIGHT]).max())
    width, height = gray.size
    scale = width / small.width
    margin = (content_margin(width, height) if margin is None else margin) / scale
    box = (
        max(0, math.floor((x0 - margin) * scale)),
        max(0, math.floor((y0 - margin) * scale)),
        min(width, math.ceil((x1 + margin) * scale)),
        min(height, math.ceil((y1 + margin) * scale)),
    )
    if (box[2] - box[0]) * (box[3] - box[1]) > most * width * height:
        return None
    return box
