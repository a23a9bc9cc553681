"""Test inputs made on the fly: text rendered into images, scanned-style PDFs, broken files."""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


#: A page of plain prose, for tests of which way up a page is.
NOTE_LINES = [
    "Delivery note 4471 for the order of the third of March",
    "Two boxes of printer paper, one carton of blue pens",
    "Received in good order by the front desk at noon",
    "Please keep this note with the invoice that follows",
] * 3


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def text_image(
    lines: list[str],
    *,
    size: int = 40,
    margin: int = 40,
    mode: str = "L",
    width: int | None = None,
) -> Image.Image:
    """Black text on white, one entry of ``lines`` per line."""
    face = font(size)
    line_height = int(size * 1.6)
    text_width = max(int(face.getlength(line)) for line in lines) if lines else 100
    image = Image.new(
        mode,
        (width or text_width + 2 * margin, len(lines) * line_height + 2 * margin),
        "white",
    )
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * line_height), line, font=face, fill="black")
    return image


def encode(image: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def png(lines: list[str], **kwargs: object) -> bytes:
    return encode(text_image(lines, **kwargs), "PNG")  # type: ignore[arg-type]


def multipage(pages: list[list[str]], format: str, *, dpi: int = 200, size: int = 40) -> bytes:
    """A multi-page TIFF or a scanned-style (image-only) PDF, one text block per page."""
    images = [text_image(lines, size=size) for lines in pages]
    return encode(
        images[0], format, save_all=True, append_images=images[1:], resolution=dpi, dpi=(dpi, dpi)
    )


def pdf(pages: list[list[str]], **kwargs: object) -> bytes:
    return multipage(pages, "PDF", **kwargs)  # type: ignore[arg-type]


def json_words(document: dict[str, Any], page: int = 0) -> list[str]:
    """The words of one page of a ``json`` result, in reading order."""
    blocks = document["pages"][page]["blocks"]
    return [word["text"] for block in blocks for line in block["lines"] for word in line["words"]]


def raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written by hand from object bodies (object 1 is the catalog)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, trailer, xref)
    )
    return out.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler with an unknown user password."""
    file_id = b"<00112233445566778899aabbccddeeff>"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"11" * 32, b"22" * 32),
        ],
        trailer=b"/Encrypt 4 0 R /ID [%s %s] " % (file_id, file_id),
    )


def truncated_png() -> bytes:
    """A PNG whose pixel data stops half way."""
    data = png(["TRUNCATED"])
    return data[: len(data) // 2]


def corrupt_pdf() -> bytes:
    """A PDF header followed by garbage."""
    return b"%PDF-1.7\n" + b"this is not a pdf body\n" * 20


def _pdf_string(text: str) -> bytes:
    """``text`` as a PDF literal string (Latin-1, as Helvetica's standard encoding has it)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def text_pdf(
    pages: list[list[str]],
    *,
    size: int = 24,
    rotate: int = 0,
    scan: Image.Image | None = None,
    invisible: bool = False,
) -> bytes:
    """A born-digital PDF written by hand: each page's lines in Helvetica, top down.

    With ``scan``, every page is that image edge to edge with the text drawn over it,
    ``invisible`` (render mode 3) as OCR tools lay it over a scan, or visible as a stamp.
    ``rotate`` sets each page's /Rotate.
    """
    width, height = (
        (612, 792) if scan is None else (scan.width * 72 // 200, scan.height * 72 // 200)
    )
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b""]
    objects[2] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    kids = []
    for lines in pages:
        content = b""
        resources = b"/Font << /F1 3 0 R >>"
        if scan is not None:
            gray = scan.convert("L")
            pixels = zlib.compress(gray.tobytes())
            objects.append(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
                b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                % (gray.width, gray.height, len(pixels), pixels)
            )
            resources += b" /XObject << /Im1 %d 0 R >>" % len(objects)
            content += b"q %d 0 0 %d 0 0 cm /Im1 Do Q\n" % (width, height)
        margin = min(36, size)
        content += b"BT /F1 %d Tf %d Tr %d TL %d %d Td\n" % (
            size,
            3 if invisible else 0,
            round(size * 1.25),
            margin,
            height - margin - size,
        )
        content += b"".join(_pdf_string(line) + b" Tj T*\n" for line in lines) + b"ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Rotate %d"
            b" /Resources << %s >> /Contents %d 0 R >>"
            % (width, height, rotate, resources, len(objects))
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return raw_pdf(objects)


def join_pdfs(*documents: bytes) -> bytes:
    """The pages of ``documents``, in order, in one PDF."""
    import pypdfium2

    joined = pypdfium2.PdfDocument.new()
    for data in documents:
        joined.import_pages(pypdfium2.PdfDocument(data))
    buffer = io.BytesIO()
    joined.save(buffer)
    return buffer.getvalue()


def pixel_bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few dozen bytes whose header claims ``width`` x ``height`` pixels."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def empty_pages_pdf(count: int, *, size_pt: int = 612) -> bytes:
    """A PDF of ``count`` blank pages, each ``size_pt`` points square."""
    kids = b" ".join(b"%d 0 R" % (i + 3) for i in range(count))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % (size_pt, size_pt)
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            *[page] * count,
        ]
    )


def zip_archive() -> bytes:
    """A small ZIP file."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a document untxt reads\n" * 20)
    return buffer.getvalue()
