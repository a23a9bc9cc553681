"""Submit-time inspection: what an upload is, how many pages it has, and what is refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from tests import samples
from untxt.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedInputError,
    InputError,
    InputTooLargeError,
    UnsupportedInputError,
)
from untxt.pipeline.inputs import inspect_input

LIMITS = {"max_pages": 50, "max_pixels": 50_000_000}


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` but carries almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def _pdf_without_pages() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    body = b"%PDF-1.4\n"
    first = len(body)
    body += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    second = len(body)
    body += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \n%010d 00000 n \n%010d 00000 n \n" % (first, second)
    body += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return body


def test_empty_upload_is_refused_as_empty() -> None:
    """Zero bytes is its own error, not an unknown format."""
    with pytest.raises(EmptyInputError):
        inspect_input(b"", **LIMITS)


@pytest.mark.parametrize(
    "data",
    [
        b"INVOICE 12345\nTOTAL 99.00\n",
        b"<html><body>not a scan</body></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"PK\x03\x04 a zip archive",
    ],
)
def test_non_document_upload_is_refused_as_unsupported_naming_accepted_formats(
    data: bytes,
) -> None:
    """Text, HTML, SVG and archives are not read; the error lists what is."""
    with pytest.raises(UnsupportedInputError, match="PDF, PNG, JPEG, TIFF"):
        inspect_input(data, **LIMITS)


def test_raster_format_outside_the_list_is_refused() -> None:
    """Pillow can open ICO, but untxt does not accept it."""
    icon = samples.encode(Image.new("RGB", (32, 32), "white"), "ICO")

    with pytest.raises(UnsupportedInputError):
        inspect_input(icon, **LIMITS)


def test_truncated_png_is_refused_as_corrupt() -> None:
    """A PNG cut in half fails its structural check at submit time."""
    with pytest.raises(CorruptInputError):
        inspect_input(samples.truncated_png(), **LIMITS)


def _png_chunks(data: bytes) -> list[tuple[int, bytes]]:
    """Each chunk's offset and type."""
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((offset, data[offset + 4 : offset + 8]))
        offset += 12 + length
    return chunks


def test_png_without_its_end_chunk_is_refused_as_corrupt() -> None:
    data = samples.png(["END"])
    (end, kind) = _png_chunks(data)[-1]
    assert kind == b"IEND"
    with pytest.raises(CorruptInputError, match="damaged"):
        inspect_input(data[:end], **LIMITS)


def test_png_with_a_damaged_chunk_outside_the_pixels_is_refused_as_corrupt() -> None:
    data = bytearray(samples.png(["TEXT"]))
    (end, _kind) = _png_chunks(bytes(data))[-1]
    text = struct.pack(">I", 5) + b"tEXtab\0cd" + b"\0\0\0\0"  # a CRC that does not match
    with pytest.raises(CorruptInputError, match="tEXt"):
        inspect_input(bytes(data[:end]) + text + bytes(data[end:]), **LIMITS)


def test_png_pixel_chunks_are_left_to_the_decoder() -> None:
    """Their CRCs are not checked at submit: the worker inflates them (see
    tests/api/test_bad_input.py for a damaged stream failing the job)."""
    data = bytearray(samples.png(["PIXELS"]))
    offsets = [offset for offset, kind in _png_chunks(bytes(data)) if kind == b"IDAT"]
    for offset in offsets:
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        crc = offset + 8 + length
        data[crc : crc + 4] = bytes(b ^ 0xFF for b in data[crc : crc + 4])

    assert inspect_input(bytes(data), **LIMITS).media_type == "image/png"


def test_corrupt_pdf_is_refused_as_corrupt() -> None:
    """A PDF header over garbage is damaged, not unsupported."""
    with pytest.raises(CorruptInputError, match="PDF"):
        inspect_input(samples.corrupt_pdf(), **LIMITS)


def test_pdf_with_no_pages_is_refused_as_corrupt() -> None:
    """A PDF whose page tree is empty has nothing to recognise."""
    with pytest.raises(CorruptInputError):
        inspect_input(_pdf_without_pages(), **LIMITS)


def test_encrypted_pdf_is_refused_as_encrypted() -> None:
    """A password-protected PDF gets its own error so the user knows what to fix."""
    with pytest.raises(EncryptedInputError, match="password"):
        inspect_input(samples.encrypted_pdf(), **LIMITS)


def test_input_errors_are_permanent() -> None:
    """Bad documents are never retried by the worker."""
    refusals = (
        EmptyInputError,
        UnsupportedInputError,
        CorruptInputError,
        EncryptedInputError,
        InputTooLargeError,
    )
    for error in refusals:
        assert issubclass(error, InputError)
        assert error.permanent


def test_pdf_pages_are_counted() -> None:
    """A three-page PDF is a PDF with three pages."""
    info = inspect_input(samples.pdf([["ONE"], ["TWO"], ["THREE"]]), **LIMITS)

    assert (info.media_type, info.pages) == ("application/pdf", 3)


def test_pdf_header_after_leading_bytes_is_still_a_pdf() -> None:
    """Like PDF readers, the header is found anywhere in the first KiB."""
    data = b"\r\n%junk from a mail gateway\r\n" + samples.pdf([["ONE"]])

    assert inspect_input(data, **LIMITS).media_type == "application/pdf"


def test_document_with_more_pages_than_the_limit_is_refused() -> None:
    """The error names the page count and the limit."""
    data = samples.pdf([["ONE"], ["TWO"], ["THREE"]])

    with pytest.raises(InputTooLargeError, match="3 pages; the limit is 2"):
        inspect_input(data, max_pages=2, max_pixels=LIMITS["max_pixels"])
    assert inspect_input(data, max_pages=3, max_pixels=LIMITS["max_pixels"]).pages == 3


def test_multipage_tiff_pages_are_counted_and_limited() -> None:
    """Every TIFF frame is a page, and counts against the page limit."""
    data = samples.multipage([["ONE"], ["TWO"], ["THREE"], ["FOUR"]], "TIFF")

    info = inspect_input(data, **LIMITS)

    assert (info.media_type, info.pages) == ("image/tiff", 4)
    with pytest.raises(InputTooLargeError, match="4 pages"):
        inspect_input(data, max_pages=3, max_pixels=LIMITS["max_pixels"])


def test_animated_gif_is_one_page() -> None:
    """GIF frames are animation, not pages."""
    frames = [samples.text_image(["ONE"]), samples.text_image(["TWO"])]
    data = samples.encode(frames[0], "GIF", save_all=True, append_images=frames[1:])

    assert Image.open(io.BytesIO(data)).n_frames == 2
    assert inspect_input(data, **LIMITS).pages == 1


@pytest.mark.parametrize(
    ("format", "media_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("TIFF", "image/tiff"),
        ("BMP", "image/bmp"),
        ("GIF", "image/gif"),
        ("WEBP", "image/webp"),
    ],
)
def test_accepted_image_formats_report_their_media_type(format: str, media_type: str) -> None:
    """Each accepted raster format is recognised from its bytes as a one-page document."""
    data = samples.encode(samples.text_image(["HELLO"], mode="RGB"), format)

    info = inspect_input(data, **LIMITS)

    assert (info.media_type, info.pages) == (media_type, 1)


def test_image_with_more_pixels_than_the_limit_is_refused() -> None:
    """The limit is on width x height; exactly at the limit is fine."""
    image = Image.new("L", (200, 100), "white")
    data = samples.encode(image, "PNG")

    assert inspect_input(data, max_pages=1, max_pixels=20_000).pages == 1
    with pytest.raises(InputTooLargeError, match="200x100 pixels; the limit is 19999"):
        inspect_input(data, max_pages=1, max_pixels=19_999)


def test_giant_image_header_is_refused_without_decoding() -> None:
    """A tiny file declaring 60000x60000 pixels is refused as too large, not loaded."""
    data = _png_header_only(60_000, 60_000)

    assert len(data) < 100
    with pytest.raises(InputTooLargeError):
        inspect_input(data, max_pages=1, max_pixels=10**10)
    with pytest.raises(InputTooLargeError):
        inspect_input(data, **LIMITS)
