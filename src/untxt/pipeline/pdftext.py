"""PDF pages that carry their own text: words, lines and blocks from the text layer.

A born-digital page (or a scan that was OCRed before, with an invisible text layer)
already says what it reads and where. Its characters, in PDFium's order, become
words at spaces, lines where PDFium breaks them or where the text jumps to another
line, and blocks where lines are far apart or change size, with boxes in the pixels
of the page rendered at the job's DPI (after its /Rotate, as OCR would see it).

What has a text layer (:func:`has_text`), decided per page:

- at least :data:`_MIN_CHARS` readable characters (spaces, control and private-use
  codes, and glyphs whose font has no Unicode map do not count), of which at most
  :data:`_MAX_UNREADABLE` of all written characters are unreadable: a layer of
  garbage (a font without a Unicode map) is OCRed instead;
- on a page that images mostly cover (:data:`_MOSTLY_IMAGES`), a scan, at least
  :data:`_MIN_CHARS_OVER_IMAGES` readable characters: a page number or a caption
  stamped on a scan leaves it a scan, which OCR reads (the stamp included, as it is
  rendered into the page). Unless most of that text is invisible (render mode 3):
  that is how OCR tools lay their text over a scan, and such a page counts as read
  already; ``pdf_mode: force`` reads it again.

Text drawn inside images of an otherwise born-digital page (a scanned figure) is
not read: the page is taken from its text layer alone.

The ``pdf_mode`` of a job (see :func:`untxt.pipeline.recognize.recognize_page`):

- ``auto``: a page with a text layer is read from it (``Page.source`` is
  ``text-layer``, ``engine`` :data:`TEXT_LAYER_ENGINE`, confidence 1); every other
  page is OCRed (``source`` ``ocr``).
- ``force``: every page is rendered and OCRed, its text layer ignored.
- ``skip_text``: as OCRmyPDF's option of that name, a page that has text is not
  OCRed; here it is not read either. It stays in the result with its number and
  size and ``source`` ``text-layer``, but without blocks (empty text, confidence
  null), so that the result holds the OCR of the pages that had no text alone.
"""

from __future__ import annotations

import math
import time
import unicodedata
from collections.abc import Iterable, Sequence

from untxt.document import BBox, Block, Line, Page, Word
from untxt.pipeline.pdf import PdfBox, PdfChar, PdfTextLayer, pdf_text_layer

#: The engine name pages read from their text layer carry.
TEXT_LAYER_ENGINE = "pdf-text"

# A page has a text layer with at least this many readable characters (spaces aside)...
_MIN_CHARS = 8
# ...and, when images cover most of it, this many: a scan with a stamped page number or
# a scanner's caption is still a scan and is OCRed. Unless most of its text is invisible:
# that is how OCR tools lay their text over a scan, which then was OCRed already.
_MIN_CHARS_OVER_IMAGES = 100
_MOSTLY_IMAGES = 0.5
# More unreadable characters than this share (fonts without a Unicode map, private-use
# codes) and the text layer is garbage that OCR reads better.
_MAX_UNREADABLE = 0.1
# Lines further apart than this many line heights, or this much taller or shorter than
# the line before, start a new block.
_BLOCK_GAP = 0.8
_BLOCK_SIZE_CHANGE = 1.3


def read_text_layer(
    data: bytes, index: int, *, number: int, dpi: int, keep_text: bool = True
) -> Page | None:
    """Page ``index`` (0-based) of the PDF ``data`` from its text layer, or ``None`` when it
    has none worth reading (see :func:`has_text`).

    With ``keep_text`` false the page comes back without blocks: a page with text that
    ``pdf_mode: skip_text`` leaves out.
    """
    started = time.perf_counter()
    layer = pdf_text_layer(data, index, dpi)
    if not has_text(layer):
        return None
    blocks = text_blocks(layer) if keep_text else []
    words = sum(len(line.words) for block in blocks for line in block.lines)
    width, height = layer.size
    return Page(
        number=number,
        width=width,
        height=height,
        dpi=dpi,
        source="text-layer",
        blocks=blocks,
        confidence=1.0 if words else None,
        engine=TEXT_LAYER_ENGINE,
        languages=[],
        seconds=round(time.perf_counter() - started, 4),
    )


def _readable(char: PdfChar) -> bool:
    """A character the text layer truly knows: not a space, not a code without meaning."""
    if char.unmapped or char.text.isspace():
        return False
    return unicodedata.category(char.text) not in ("Cc", "Co", "Cs", "Cn") and char.text not in (
        "\ufffd",
        "\x00",
    )


def has_text(layer: PdfTextLayer) -> bool:
    """Whether the page's text layer is worth reading instead of OCR.

    It needs :data:`_MIN_CHARS` readable characters (:data:`_MIN_CHARS_OVER_IMAGES` on a
    page mostly covered by images, unless they are mostly invisible), and few unreadable
    ones beside them.
    """
    written = [c for c in layer.chars if not c.generated and not c.text.isspace()]
    readable = sum(1 for c in written if _readable(c))
    unreadable = sum(1 for c in written if not _readable(c))
    invisible = sum(1 for c in written if c.invisible)
    scan = layer.image_cover >= _MOSTLY_IMAGES and 2 * invisible < len(written)
    needed = _MIN_CHARS_OVER_IMAGES if scan else _MIN_CHARS
    return readable >= needed and unreadable <= _MAX_UNREADABLE * (readable + unreadable)


def _new_line(previous: PdfChar, char: PdfChar) -> bool:
    """Whether ``char`` is on another line than ``previous``, by their positions."""
    p_left, p_bottom, _, p_top = previous.line_box
    left, bottom, _, top = char.line_box
    middle = (bottom + top) / 2
    height = max(p_top - p_bottom, top - bottom, 1e-6)
    # Off the previous line's band, or back to the left by more than a line's height.
    return not p_bottom <= middle <= p_top or left < p_left - height


def _lines(chars: Sequence[PdfChar]) -> list[list[list[PdfChar]]]:
    """Characters into lines of words."""
    lines: list[list[list[PdfChar]]] = []
    word: list[PdfChar] = []
    line: list[list[PdfChar]] = []
    previous: PdfChar | None = None

    def end_word() -> None:
        nonlocal word
        if word:
            line.append(word)
            word = []

    def end_line() -> None:
        nonlocal line
        end_word()
        if line:
            lines.append(line)
            line = []

    for char in chars:
        if char.text in ("\r", "\n"):
            end_line()
            continue
        if not _readable(char):
            end_word()
            continue
        if previous is not None and (word or line) and _new_line(previous, char):
            end_line()
        word.append(char)
        previous = char
        if char.hyphen:
            end_line()
    end_line()
    return lines


def _union(boxes: Iterable[PdfBox]) -> PdfBox:
    items = list(boxes)
    return (
        min(b[0] for b in items),
        min(b[1] for b in items),
        max(b[2] for b in items),
        max(b[3] for b in items),
    )


def _pixels(box: PdfBox, layer: PdfTextLayer) -> BBox:
    """A page-space box as a box in the rendered page's pixels, clipped to the page."""
    a, b, c, d, e, f = layer.to_pixels
    width, height = layer.size
    corners = [(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [a * x + b * y + c for x, y in corners]
    ys = [d * x + e * y + f for x, y in corners]
    x0 = min(max(math.floor(min(xs)), 0), width)
    y0 = min(max(math.floor(min(ys)), 0), height)
    return BBox(
        x0=x0,
        y0=y0,
        x1=min(max(math.ceil(max(xs)), x0), width),
        y1=min(max(math.ceil(max(ys)), y0), height),
    )


def text_blocks(layer: PdfTextLayer) -> list[Block]:
    """The page's text as blocks of lines of words, with boxes in pixels."""
    blocks: list[list[Line]] = []
    previous: PdfBox | None = None
    for chars in _lines(layer.chars):
        line_box = _union(c.line_box for word in chars for c in word)
        words = [
            Word(
                text="".join(c.text for c in word),
                bbox=_pixels(_union(c.box for c in word), layer),
                confidence=1.0,
            )
            for word in chars
        ]
        line = Line(bbox=BBox.union(w.bbox for w in words), words=words)
        if previous is None or _new_block(previous, line_box):
            blocks.append([])
        blocks[-1].append(line)
        previous = line_box
    return [Block(bbox=BBox.union(line.bbox for line in lines), lines=lines) for lines in blocks]


def _new_block(previous: PdfBox, box: PdfBox) -> bool:
    """Whether a line at ``box`` starts a new block after the line at ``previous``."""
    p_height = previous[3] - previous[1]
    height = box[3] - box[1]
    if p_height <= 0 or height <= 0:
        return True
    gap = previous[1] - box[3]  # page space: y grows upwards
    if gap > _BLOCK_GAP * p_height or box[3] > previous[3] + p_height:  # far below, or above
        return True
    ratio = height / p_height
    return not 1 / _BLOCK_SIZE_CHANGE <= ratio <= _BLOCK_SIZE_CHANGE
