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
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PIL import Image

from untxt.document import Document, Page, Word

__all__ = ["JPEG_QUALITY", "PageImage", "encode_jpeg", "page_dpi", "render_pdf"]

#: A page image: decoded, or already JPEG-encoded.
PageImage = Image.Image | bytes

#: Scans of text stay legible at this quality for a fraction of the lossless size.
JPEG_QUALITY = 75
DEFAULT_DPI = 300
_POINTS_PER_INCH = 72
# Every glyph advances half an em (the font's default width, /DW 500).
_GLYPH_ADVANCE = 0.5
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
# Codes of the text font: 2 bytes each (Identity-H), CID 0 being .notdef.
_MAX_CODES = 0xFFFF


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
    writer = _Writer()
    font = _TextFont(word.text for page in document.pages for word in page.words())
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
        % (b" /Title " + _text_string(document.source) if document.source else b"")
    )
    return writer.finish(catalog, info)


# --- the page ---------------------------------------------------------------------------


def _write_page(
    writer: _Writer, parent: int, font_id: int, font: _TextFont, page: Page, image: PageImage
) -> int:
    scale = _POINTS_PER_INCH / page_dpi(page)
    width, height = page.width * scale, page.height * scale
    image_id = _write_image(writer, image)
    content = b"q %s 0 0 %s 0 0 cm /Im0 Do Q\n%s" % (
        _num(width),
        _num(height),
        _text_layer(page, font, scale, height),
    )
    contents = writer.add_stream(b"", zlib.compress(content), filter_=b"/FlateDecode")
    return writer.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Contents %d 0 R "
        b"/Resources << /XObject << /Im0 %d 0 R >> /Font << /F0 %d 0 R >> >> >>"
        % (parent, _num(width), _num(height), contents, image_id, font_id)
    )


def _write_image(writer: _Writer, image: PageImage) -> int:
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


def _text_layer(page: Page, font: _TextFont, scale: float, height: float) -> bytes:
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


def _show_line(placed: list[_Placed], font: _TextFont, angle: float) -> Iterable[bytes]:
    cos, sin = math.cos(angle), math.sin(angle)
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
        yield _show(font.encode(word.text), word.x, word.y, length, word.size, cos, sin)
        if after is None:
            break
        # A real space up to the next word, for extractors that do not infer one.
        end_x, end_y = word.x + length * cos, word.y + length * sin
        gap = (after.x - end_x) * cos + (after.y - end_y) * sin
        yield _show(font.encode(" "), end_x, end_y, max(gap, 0.01 * word.size), word.size, cos, sin)


def _show(
    codes: bytes, x: float, y: float, length: float, size: float, cos: float, sin: float
) -> bytes:
    glyphs = len(codes) // 2
    stretch = 100 * length / (glyphs * _GLYPH_ADVANCE * size)
    return b"/F0 %s Tf %s Tz %s %s %s %s %s %s Tm <%s> Tj" % (
        _num(size),
        _num(stretch),
        _num(cos, 5),
        _num(sin, 5),
        _num(-sin, 5),
        _num(cos, 5),
        _num(x),
        _num(y),
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


# --- the text font ---------------------------------------------------------------------


class _TextFont:
    """A Type 0 font whose codes stand for the characters (clusters) the document uses."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._codes: dict[str, int] = {" ": 1}
        for text in texts:
            for cluster in _clusters(text):
                if cluster not in self._codes:
                    if len(self._codes) >= _MAX_CODES:
                        raise ValueError("more distinct characters than a PDF font can hold")
                    self._codes[cluster] = len(self._codes) + 1

    def encode(self, text: str) -> bytes:
        return b"".join(struct.pack(">H", self._codes[c]) for c in _clusters(text))

    def write(self, writer: _Writer) -> int:
        """Write the font's objects; returns the id of the font to name in resources."""
        count = len(self._codes) + 1
        font_file = writer.add_stream(
            b"/Length1 %d" % len(GLYPHLESS_FONT), zlib.compress(GLYPHLESS_FONT), b"/FlateDecode"
        )
        descriptor = writer.add(
            b"<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 "
            b"/FontBBox [0 0 500 1000] /ItalicAngle 0 /Ascent 1000 /Descent -1 "
            b"/CapHeight 1000 /StemV 80 /FontFile2 %d 0 R >>" % font_file
        )
        # Every code but .notdef draws glyph 1, the empty one.
        gid_map = writer.add_stream(
            b"", zlib.compress(b"\x00\x00" + b"\x00\x01" * (count - 1)), b"/FlateDecode"
        )
        cid_font = writer.add(
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW %d /CIDToGIDMap %d 0 R >>"
            % (descriptor, round(1000 * _GLYPH_ADVANCE), gid_map)
        )
        to_unicode = writer.add_stream(b"", zlib.compress(self._cmap()), b"/FlateDecode")
        return writer.add(
            b"<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cid_font, to_unicode)
        )

    def _cmap(self) -> bytes:
        entries = [
            b"<%04x> <%s>" % (code, cluster.encode("utf-16-be").hex().encode())
            for cluster, code in self._codes.items()
        ]
        # At most 100 entries per section.
        sections = [
            b"%d beginbfchar\n%s\nendbfchar" % (len(chunk), b"\n".join(chunk))
            for chunk in (entries[i : i + 100] for i in range(0, len(entries), 100))
        ]
        return b"\n".join(
            [
                b"/CIDInit /ProcSet findresource begin",
                b"12 dict begin",
                b"begincmap",
                b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                b"/CMapName /Adobe-Identity-UCS def",
                b"/CMapType 2 def",
                b"1 begincodespacerange",
                b"<0000> <FFFF>",
                b"endcodespacerange",
                *sections,
                b"endcmap",
                b"CMapName currentdict /CMap defineresource pop",
                b"end",
                b"end",
            ]
        )


def _clusters(text: str) -> list[str]:
    """``text`` in NFC as characters with any combining marks that follow them.

    One code per cluster keeps a letter and its marks one glyph wide, and its
    ToUnicode entry gives back the whole cluster.
    """
    clusters: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


_FONT_NAME = "GlyphLessFont"
# version, revision, checksum adjustment (set last), magic, flags, units per em,
# created, modified, bounding box, style, smallest size, direction, short loca, glyph format
_HEAD = (0x10000, 0x10000, 0, 0x5F0F3CF5, 0x000B, 1000, 0, 0, 0, 0, 500, 1000, 0, 3, 2, 0, 0)


def _glyphless_font() -> bytes:
    """A TrueType font of two empty glyphs (.notdef and one 500 units wide), 1000 units/em."""
    name_strings = [
        (1, "GlyphLessFont"),
        (2, "Regular"),
        (4, "GlyphLessFont"),
        (6, "GlyphLessFont"),
    ]
    encoded = [text.encode("utf-16-be") for _, text in name_strings]
    records = b""
    offset = 0
    for (name_id, _), data in zip(name_strings, encoded, strict=True):
        records += struct.pack(">6H", 3, 1, 0x409, name_id, len(data), offset)
        offset += len(data)
    name = struct.pack(">3H", 0, len(name_strings), 6 + len(records)) + records + b"".join(encoded)
    tables = {
        # A format 4 subtable mapping no characters: glyphs are reached by CID only.
        b"cmap": struct.pack(">4HL", 0, 1, 3, 1, 12)
        + struct.pack(">7H", 4, 24, 0, 2, 2, 0, 0)
        + struct.pack(">5H", 0xFFFF, 0, 0xFFFF, 1, 0),
        b"glyf": b"",
        b"head": struct.pack(">2L2L2H2q4h2H3h", *_HEAD),
        b"hhea": struct.pack(
            ">L3hH3h3h4hhH", 0x00010000, 1000, -1, 0, 500, 0, 0, 500, 1, 0, 0, 0, 0, 0, 0, 0, 2
        ),
        b"hmtx": struct.pack(">2H", 500, 0) * 2,
        b"loca": struct.pack(">3H", 0, 0, 0),
        b"maxp": struct.pack(">L14H", 0x00010000, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": name,
        b"post": struct.pack(">2L2h5L", 0x00030000, 0, 0, 0, 1, 0, 0, 0, 0),
    }
    entry_selector = int(math.log2(len(tables)))
    search_range = 16 * 2**entry_selector
    header = struct.pack(
        ">L4H", 0x00010000, len(tables), search_range, entry_selector,
        16 * len(tables) - search_range,
    )  # fmt: skip
    directory, body = b"", b""
    offset = len(header) + 16 * len(tables)
    head_at = 0
    for tag, data in sorted(tables.items()):
        if tag == b"head":
            head_at = offset + len(body) + 8  # checkSumAdjustment
        directory += struct.pack(">4s3L", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\x00" * (-len(data) % 4)
    font = header + directory + body
    # head.checkSumAdjustment makes the whole font sum to the number the format fixes.
    adjust = (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF
    return font[:head_at] + struct.pack(">L", adjust) + font[head_at + 4 :]


def _checksum(data: bytes) -> int:
    padded = data + b"\x00" * (-len(data) % 4)
    return int(sum(struct.unpack(f">{len(padded) // 4}L", padded))) & 0xFFFFFFFF


GLYPHLESS_FONT = _glyphless_font()


# --- PDF objects -----------------------------------------------------------------------


class _Writer:
    """Numbered objects written out with a cross-reference table."""

    def __init__(self) -> None:
        self._objects: list[bytes | None] = []

    def reserve(self) -> int:
        self._objects.append(None)
        return len(self._objects)

    def set(self, number: int, body: bytes) -> None:
        self._objects[number - 1] = body

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.set(number, body)
        return number

    def add_stream(self, entries: bytes, data: bytes, filter_: bytes = b"") -> int:
        head = b"<< %s /Length %d%s >>" % (
            entries,
            len(data),
            b" /Filter " + filter_ if filter_ else b"",
        )
        return self.add(head + b"\nstream\n" + data + b"\nendstream")

    def finish(self, root: int, info: int) -> bytes:
        out = io.BytesIO()
        # The comment of high bytes tells transfer tools the file is binary.
        out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self._objects, 1):
            if body is None:
                raise ValueError(f"object {number} was reserved but never written")
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, root, info, xref)
        )
        return out.getvalue()


def _num(value: float, places: int = 2) -> bytes:
    """A PDF number: fixed-point, without trailing zeros."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


def _text_string(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, as hex."""
    return b"<feff%s>" % text.encode("utf-16-be").hex().encode()
