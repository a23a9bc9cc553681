"""Recognise what an upload is, refuse what untxt cannot read, and count its pages.

This runs at submit time, so it reads headers only and never decodes pixels;
damage deeper in the file surfaces when the worker loads the page.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from untxt.errors import (
    CorruptInputError,
    EmptyInputError,
    ImageTooLargeError,
    InputTooLargeError,
    UnsupportedInputError,
)
from untxt.pipeline.pdf import count_pdf_pages

PDF = "application/pdf"
# Pillow format name -> media type, for the raster formats untxt accepts.
IMAGE_FORMATS: dict[str, str] = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TIFF": "image/tiff",
    "BMP": "image/bmp",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
SUPPORTED = "PDF, PNG, JPEG, TIFF, BMP, GIF or WebP"
# PDF readers accept the header anywhere in the first KiB; so do we, unless the file
# starts with an image's signature: a file that is both (an image with a PDF in it)
# is read as the image it starts as, which is also how the worker will load it.
_PDF_HEADER_WINDOW = 1024
_IMAGE_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"II*\x00",  # TIFF, little-endian
    b"MM\x00*",  # TIFF, big-endian
    b"BM",
    b"GIF87a",
    b"GIF89a",
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A PNG's compressed pixels (and an animated PNG's frames): their chunk CRCs are not
# checked at submit, where they cost a CRC over almost the whole file; the worker
# inflates them, and a damaged stream fails the job there as "cannot be decoded".
_PNG_PIXEL_CHUNKS = frozenset({b"IDAT", b"fdAT"})


@dataclass(frozen=True)
class InputInfo:
    """What an accepted upload is."""

    media_type: str
    pages: int


def inspect_input(data: bytes, *, max_pages: int, max_pixels: int) -> InputInfo:
    """Return the media type and page count of ``data``, or raise an :class:`InputError`."""
    if not data:
        raise EmptyInputError("the file is empty")
    if not _starts_as_image(data) and b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        pages = count_pdf_pages(data)
        media_type = PDF
    else:
        media_type, pages = _inspect_image(data, max_pixels=max_pixels)
    if pages > max_pages:
        raise InputTooLargeError(f"the document has {pages} pages; the limit is {max_pages}")
    return InputInfo(media_type=media_type, pages=pages)


def _starts_as_image(data: bytes) -> bool:
    """Whether ``data`` begins with the signature of an accepted raster format."""
    is_webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return is_webp or data.startswith(_IMAGE_SIGNATURES)


def open_image(data: bytes) -> Image.Image:
    """Open ``data`` as one of the accepted raster formats (headers only)."""
    try:
        return Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except UnidentifiedImageError:
        raise UnsupportedInputError(f"not a document untxt reads; send {SUPPORTED}") from None
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(str(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptInputError(f"the image header is damaged: {exc}") from None


def check_pixels(width: int, height: int, *, max_pixels: int) -> None:
    """Refuse a page image larger than ``max_pixels``."""
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"the page is {width}x{height} pixels; the limit is {max_pixels} pixels"
        )


def _inspect_image(data: bytes, *, max_pixels: int) -> tuple[str, int]:
    with open_image(data) as image:
        media_type = IMAGE_FORMATS[image.format or ""]
        check_pixels(image.width, image.height, max_pixels=max_pixels)
        # Only TIFF pages are pages; GIF and WebP frames are animation.
        pages = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
        if image.format == "PNG":
            _check_png_chunks(data)
            return media_type, pages
        try:
            # Cheap structural checks; pixels are decoded by the worker.
            image.verify()
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptInputError(f"the image is damaged: {exc}") from None
    return media_type, pages


def _check_png_chunks(data: bytes) -> None:
    """Refuse a PNG cut short before its end chunk, or with a damaged chunk other than
    the compressed pixels (see ``_PNG_PIXEL_CHUNKS``)."""
    view = memoryview(data)
    offset = len(_PNG_SIGNATURE)
    while True:
        if offset + 12 > len(data):
            raise CorruptInputError("the image is damaged: the PNG ends before its last chunk")
        length, kind = struct.unpack_from(">I4s", data, offset)
        end = offset + 12 + length
        if end > len(data):
            raise CorruptInputError("the image is damaged: the PNG is cut short")
        if kind not in _PNG_PIXEL_CHUNKS:
            (crc,) = struct.unpack_from(">I", data, end - 4)
            if zlib.crc32(view[offset + 4 : end - 4]) != crc:
                name = kind.decode("latin-1")
                raise CorruptInputError(f"the image is damaged: broken {name!r} chunk")
        if kind == b"IEND":
            return
        offset = end
