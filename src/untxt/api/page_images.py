"""Page images for viewers: a job's page as OCR saw it, made smaller, and the frame of its boxes.

Word boxes of a result are pixels of the page as loaded (see :mod:`untxt.document`):
a raster file's own pixels (EXIF orientation applied), a PDF page rendered at the
job's DPI. The image is that page, loaded by the worker's own loader and scaled by
one factor, so a box ``(x0, y0, x1, y1)`` lands at ``x * scale`` on it.

Once the job has a ``json`` result, the page's width and height there are the frame
(they are what the boxes were measured in; a PDF page read from its text layer may
differ from the scan inside it by a few per cent); before, the loaded page is, as it
is for every page OCR reads. Each variant is made once and kept in the blob store
under the job's prefix, its frame in a first line of JSON before the image bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from untxt.options import RESOLUTION_DPI
from untxt.pipeline.pages import load_page

ImageFormat = Literal["jpeg", "webp"]
MEDIA_TYPES: dict[ImageFormat, str] = {"jpeg": "image/jpeg", "webp": "image/webp"}
# Quality settings that keep print legible at a viewer's sizes, about 100-300 KB a page.
_SAVE: dict[ImageFormat, tuple[str, dict[str, object]]] = {
    "jpeg": ("JPEG", {"quality": 85, "optimize": True}),
    "webp": ("WEBP", {"quality": 80, "method": 4}),
}


@dataclass(frozen=True)
class PageImage:
    """A page image and how it maps onto the result's coordinates."""

    data: bytes
    media_type: str
    #: Width and height of the page in result coordinates (pixels of the page as loaded).
    frame: tuple[int, int]
    #: Image pixels per unit of result coordinates.
    scale: float

    def pack(self) -> bytes:
        """The form kept in the blob store: a line of JSON, then the image."""
        head = {"media_type": self.media_type, "frame": list(self.frame), "scale": self.scale}
        return json.dumps(head).encode() + b"\n" + self.data

    @classmethod
    def unpack(cls, blob: bytes) -> PageImage:
        head, _, data = blob.partition(b"\n")
        fields = json.loads(head)
        width, height = fields["frame"]
        return cls(data, fields["media_type"], (int(width), int(height)), float(fields["scale"]))


def variant(*, max_side: int, format: ImageFormat, from_result: bool) -> str:
    """The name a variant is kept under: what its bytes depend on besides job and page."""
    return f"{max_side}-{'result' if from_result else 'page'}.{format}"


def etag(key: str) -> str:
    """A strong validator for the variant kept under ``key``: job, page, size, format and
    frame fix its content (a job's document and options never change)."""
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def job_dpi(options: dict[str, object]) -> int:
    """The DPI the job renders PDF pages at, from its stored options."""
    return RESOLUTION_DPI.get(str(options.get("resolution", "base")), RESOLUTION_DPI["base"])


def result_frame(result: bytes, page: int) -> tuple[int, int] | None:
    """Width and height of page ``page`` in a ``json`` result; ``None`` if it is not there
    (``pdf_mode: skip_text`` leaves pages out)."""
    for item in json.loads(result).get("pages", []):
        if item.get("number") == page:
            return int(item["width"]), int(item["height"])
    return None


def render(
    document: bytes,
    media_type: str,
    page: int,
    *,
    dpi: int,
    max_pixels: int,
    frame: tuple[int, int] | None,
    max_side: int,
    format: ImageFormat,
) -> PageImage:
    """Page ``page`` (1-based) as the worker loads it, shrunk so that its longer side is at
    most ``max_side`` (never enlarged), in the result's ``frame`` if one is given."""
    image, _ = load_page(document, media_type, page - 1, dpi=dpi, max_pixels=max_pixels)
    width, height = frame or image.size
    factor = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    name, params = _SAVE[format]
    buffer = io.BytesIO()
    image.save(buffer, format=name, **params)
    return PageImage(buffer.getvalue(), MEDIA_TYPES[format], (width, height), size[0] / width)


def preferred_format(accept: str | None) -> ImageFormat:
    """WebP when the ``Accept`` header rates it at least as high as JPEG, else JPEG."""
    if not accept:
        return "jpeg"
    ratings: dict[str, float] = {}
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ratings[media_range.lower()] = quality

    def rating(media_type: str) -> float:
        for candidate in (media_type, "image/*", "*/*"):
            if candidate in ratings:
                return ratings[candidate]
        return 0.0

    webp = ratings.get("image/webp", 0.0)
    return "webp" if webp > 0 and webp >= rating("image/jpeg") else "jpeg"


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weak comparison, as RFC 9110
    asks of it) or is ``*``."""
    if not if_none_match:
        return False
    tags = [item.strip() for item in if_none_match.split(",")]
    return "*" in tags or tag in (item.removeprefix("W/") for item in tags)
