"""Page images for the formats that draw them (the searchable PDF), loaded as OCR saw them."""

from __future__ import annotations

from collections.abc import Sequence

from untxt.formats.pdf import encode_jpeg
from untxt.pipeline.inputs import PDF
from untxt.pipeline.pages import load_page
from untxt.pipeline.pdf import scanned_jpeg


def page_images(
    data: bytes, media_type: str, numbers: Sequence[int], *, dpi: int, max_pixels: int
) -> list[bytes]:
    """Pages ``numbers`` (1-based) of an upload as JPEG, at the job's ``dpi`` for PDFs.

    These are the images the recognised boxes refer to: a raster page's own
    pixels, a PDF page rendered as it was for OCR (pages read from their text
    layer included, so every page of the output has its picture).
    """
    images = []
    for number in numbers:
        # A scanned PDF page keeps its own JPEG: quicker, and no second generation of loss.
        jpeg = scanned_jpeg(data, number - 1, dpi) if media_type == PDF else None
        if jpeg is None:
            image, _ = load_page(data, media_type, number - 1, dpi=dpi, max_pixels=max_pixels)
            jpeg = encode_jpeg(image)
        images.append(jpeg)
    return images
