"""The invisible text font of a searchable PDF: empty glyphs, and codes that map back to text.

Every character (with its combining marks) the document uses gets one code of a
Type 0 CID font whose ToUnicode map gives the character back; every code draws
the same empty glyph, half an em wide, of a tiny TrueType font made here.
"""

from __future__ import annotations

import math
import struct
import unicodedata
import zlib
from collections.abc import Iterable

from untxt.formats.pdf_objects import PdfWriter

__all__ = ["GLYPHLESS_FONT", "GLYPH_ADVANCE", "TextFont"]

#: Every glyph advances half an em (the font's default width, /DW 500).
GLYPH_ADVANCE = 0.5
# Codes of the text font: 2 bytes each (Identity-H), CID 0 being .notdef.
_MAX_CODES = 0xFFFF


class TextFont:
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

    def write(self, writer: PdfWriter) -> int:
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
            % (descriptor, round(1000 * GLYPH_ADVANCE), gid_map)
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
