"""Searchable PDF: each page image with an invisible text layer on the recognised words.

The text is drawn in render mode 3 (neither filled nor stroked) with a font that
has no visible glyphs, like Tesseract's and OCRmyPDF's: every character is one
code of a per-document CID font whose ToUnicode map gives its text back, so
``pdftotext``, search and copy see the recognised words, whatever their
script. Each word is stretched (``Tz``) to its box width with its baseline on
the box bottom, so selecting a word in a viewer selects that word.
"""

from __future__ import annotations

import io
import math
import statistics
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PIL import Image

from untxt.document import Document, Page, Word
from untxt.formats.pdf_font import GLYPH_ADVANCE, TextFont
from untxt.formats.pdf_objects import PdfWriter, pdf_number, pdf_text_string

__all__ = ["JPEG_QUALITY", "PageImage", "encode_jpeg", "page_dpi", "render_pdf"]

#: A page image: decoded, or already JPEG-encoded.
PageImage = Image.Image | bytes

#: Scans of text stay legible at this quality for a fraction of the lossless size.
JPEG_QUALITY = 75
DEFAULT_DPI = 300
_POINTS_PER_INCH = 72
# A line whose word centres rise less than this is taken as level: the centres of
# words with and without descenders differ by a few pixels.
_MIN_SKEW_DEGREES = 0.5
_MAX_SKEW_DEGREES = 15.0
# Least gap between two words of a line, in font sizes, and the most of a word's length
# given up to make it.
_MIN_WORD_GAP = 0.2
_MAX_TRIM = 0.2
# How far, in its own heights, a line may rise or fall end to end and still be drawn level.
_MAX_LEVEL_DRIFT = 2.0
# Long side of common paper sizes in inches, by short side / long side.
_PAPER = {
    210 / 297: 297 / 25.4,  # A3, A4, A5
    8.5 / 11: 11.0,  # US letter
    8.5 / 14: 14.0,  # US legal
}
_PAPER_TOLERANCE = 0.01
_PLAUSIBLE_DPI = (100, 1200)


def encode_jpeg(image: Image.Image, quality: int = JPEG_QUALITY) -> bytes:
    """``image`` as a baseline JPEG: greyscale stays greyscale, anything else becomes RGB."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode in ("1", "I", "I;16", "F") else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def page_dpi(page: Page) -> float:
    """Resolution to lay ``page`` out at: its own, else that of a paper size it fits, else 300."""
    if page.dpi:
        return float(page.dpi)
    short, long_ = sorted((page.width, page.height))
    for ratio, inches in _PAPER.items():
        if abs(short / long_ - ratio) <= _PAPER_TOLERANCE:
            dpi = long_ / inches
            if _PLAUSIBLE_DPI[0] <= dpi <= _PLAUSIBLE_DPI[1]:
                return dpi
    return float(DEFAULT_DPI)


def render_pdf(document: Document, images: Sequence[PageImage]) -> bytes:
    """The document as a PDF of ``images`` (one per page, in page order) with a text layer."""
    if len(images) != len(document.pages):
        raise ValueError(f"{len(document.pages)} pages but {len(images)} page images")
    writer = PdfWriter()
    font = TextFont(word.text for page in document.pages for word in page.words())
    catalog = writer.reserve()
    pages_id = writer.reserve()
    font_id = font.write(writer)
    kids = [
        _write_page(writer, pages_id, font_id, font, page, image)
        for page, image in zip(document.pages, images, strict=True)
    ]
    writer.set(
        pages_id,
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % kid for kid in kids), len(kids)),
    )
    writer.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    info = writer.add(
        b"<< /Producer (untxt)%s >>"
        % (b" /Title " + pdf_text_string(document.source) if document.source else b"")
    )
    return writer.finish(catalog, info)


# --- the page ---------------------------------------------------------------------------


def _write_page(
    writer: PdfWriter, parent: int, font_id: int, font: TextFont, page: Page, image: PageImage
) -> int:
    scale = _POINTS_PER_INCH / page_dpi(page)
    width, height = page.width * scale, page.height * scale
    image_id = _write_image(writer, image)
    content = b"q %s 0 0 %s 0 0 cm /Im0 Do Q\n%s" % (
        pdf_number(width),
        pdf_number(height),
        _text_layer(page, font, scale, height),
    )
    contents = writer.add_stream(b"", zlib.compress(content), filter_=b"/FlateDecode")
    return writer.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
        b"/Resources << /XObject << /Im0 %d 0 R >> /Font << /F0 %d 0 R >> >> >>"
        % (parent, pdf_number(width), pdf_number(height), contents, image_id, font_id)
    )


def _write_image(writer: PdfWriter, image: PageImage) -> int:
    data = image if isinstance(image, bytes) else encode_jpeg(image)
    with Image.open(io.BytesIO(data)) as probe:
        if probe.format != "JPEG":
            raise ValueError(f"page images must be JPEG, not {probe.format}")
        if probe.mode not in ("L", "RGB"):  # CMYK and other JPEGs: draw what Pillow sees
            probe.load()
            data = encode_jpeg(probe)
        size, mode = probe.size, probe.mode
    colours = b"/DeviceGray" if mode == "L" else b"/DeviceRGB"
    return writer.add_stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
        b"/BitsPerComponent 8" % (size[0], size[1], colours),
        data,
        filter_=b"/DCTDecode",
    )


@dataclass(frozen=True)
class _Frame:
    """Maps page pixels (origin top left) to PDF points (origin bottom left)."""

    scale: float
    height: float

    def point(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale, self.height - y * self.scale


@dataclass(frozen=True)
class _Placed:
    """A word on the page in points: baseline origin, length along the baseline, font size."""

    text: str
    x: float
    y: float
    length: float
    size: float


def _text_layer(page: Page, font: TextFont, scale: float, height: float) -> bytes:
    """BT ... ET drawing every word of ``page`` invisibly over its box."""
    frame = _Frame(scale, height)
    turn = math.radians(page.preprocessing.rotation)
    skew = _skew(page, frame, turn)
    out = [b"BT 3 Tr"]
    for block in page.blocks:
        for line in block.lines:
            words = [word for word in line.words if word.text.strip()]
            if not words:
                continue
            angle = turn + skew
            placed = _place_line(words, frame, angle)
            # Text extractors (pdftotext among them) build lines from level baselines
            # and break a slanted one into pieces: a line leaning by less than twice
            # its height end to end is drawn level, over the middle of its slope.
            reach = placed[-1].length + math.dist(
                (placed[0].x, placed[0].y), (placed[-1].x, placed[-1].y)
            )
            if skew and reach * abs(math.tan(skew)) <= _MAX_LEVEL_DRIFT * placed[0].size:
                angle = turn
                placed = _place_line(words, frame, angle)
            out.extend(_show_line(placed, font, angle))
    out.append(b"ET\n")
    return b"\n".join(out)


def _place_line(words: list[Word], frame: _Frame, angle: float) -> list[_Placed]:
    """The words of a line along one baseline at ``angle``, each over its own box.

    Each box is the upright bounding box of the word's rectangle turned by
    ``angle``; solving for that rectangle gives its length and height. The line
    gets one font size and one baseline (the medians of its words'), since words
    with and without descenders would otherwise sit at different heights.
    """
    cos, sin = math.cos(angle), math.sin(angle)
    c, s = abs(cos), abs(sin)
    det = c * c - s * s
    words_at = []
    for word in words:
        box = word.bbox
        # A box without width or height (a dot, a box clipped at the page edge) is
        # taken as one pixel: the text must still have a size to be drawn at.
        w = max(box.x1 - box.x0, 1) * frame.scale
        h = max(box.y1 - box.y0, 1) * frame.scale
        length, size = (w * c - h * s) / det, (h * c - w * s) / det
        if length <= 0 or size <= 0:  # a box too small for the angle: fill it level instead
            length, size = (w, h) if c >= s else (h, w)
        cx, cy = frame.point((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        # The rectangle's centre is half its length along the baseline and half its
        # height above it from the origin.
        x = cx - (length * cos - size * sin) / 2
        y = cy - (length * sin + size * cos) / 2
        words_at.append((word.text, x, y, length, size))
    size = statistics.median(p[4] for p in words_at)
    # Distance of each origin from a parallel through the page origin, across the text.
    offsets = [y * cos - x * sin for _, x, y, _, _ in words_at]
    base = statistics.median(offsets)
    return [
        _Placed(text, x - sin * (base - off), y + cos * (base - off), length, size)
        for (text, x, y, length, _), off in zip(words_at, offsets, strict=True)
    ]


def _show_line(placed: list[_Placed], font: TextFont, angle: float) -> Iterable[bytes]:
    cos, sin = math.cos(angle), math.sin(angle)
    # Every word of the line is drawn turned alike: the matrix's turn is written once.
    turn = b"%s %s %s %s" % (
        pdf_number(cos, 5),
        pdf_number(sin, 5),
        pdf_number(-sin, 5),
        pdf_number(cos, 5),
    )
    for i, word in enumerate(placed):
        after = placed[i + 1] if i + 1 < len(placed) else None
        length = word.length
        if after is not None:
            # Extractors that go by geometry alone (pdftotext -raw wants a gap of 0.15
            # of the font size) glue words whose boxes nearly touch, as a detector's
            # tight word boxes do: the end of such a word is drawn a little short.
            gap = (after.x - word.x) * cos + (after.y - word.y) * sin - length
            short = min(_MIN_WORD_GAP * word.size - gap, _MAX_TRIM * length)
            if short > 0:
                length -= short
        yield _show(font.encode(word.text), word.x, word.y, length, word.size, turn)
        if after is None:
            break
        # A real space up to the next word, for extractors that do not infer one.
        end_x, end_y = word.x + length * cos, word.y + length * sin
        gap = (after.x - end_x) * cos + (after.y - end_y) * sin
        yield _show(font.encode(" "), end_x, end_y, max(gap, 0.01 * word.size), word.size, turn)


def _show(codes: bytes, x: float, y: float, length: float, size: float, turn: bytes) -> bytes:
    glyphs = len(codes) // 2
    stretch = 100 * length / (glyphs * GLYPH_ADVANCE * size)
    return b"/F0 %s Tf %s Tz %s %s %s Tm <%s> Tj" % (
        pdf_number(size),
        pdf_number(stretch),
        turn,
        pdf_number(x),
        pdf_number(y),
        codes.hex().encode(),
    )


def _skew(page: Page, frame: _Frame, turn: float) -> float:
    """How far the page's lines lean from its quarter turn, in radians counter-clockwise.

    A page turned clockwise by R degrees to stand upright holds text running R
    degrees counter-clockwise. The skew is measured from the words themselves (the
    median slope of the lines through their centres), so it needs no convention
    on how a deskew step reports it, and is zero for level text.
    """
    cos, sin = math.cos(-turn), math.sin(-turn)
    slopes = []
    for block in page.blocks:
        for line in block.lines:
            if len(line.words) < 3:
                continue
            points = []
            for word in line.words:
                b = word.bbox
                x, y = frame.point((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
                points.append((x * cos - y * sin, x * sin + y * cos))  # turned level
            slope = _slope(points)
            if slope is not None:
                slopes.append(slope)
    skew = math.degrees(math.atan(statistics.median(slopes))) if slopes else 0.0
    if abs(skew) < _MIN_SKEW_DEGREES or abs(skew) > _MAX_SKEW_DEGREES:
        return 0.0
    return math.radians(skew)


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x, or None when the x values do not spread."""
    mean_x = statistics.fmean(p[0] for p in points)
    mean_y = statistics.fmean(p[1] for p in points)
    spread = sum((p[0] - mean_x) ** 2 for p in points)
    if spread <= 0:
        return None
    return sum((p[0] - mean_x) * (p[1] - mean_y) for p in points) / spread
