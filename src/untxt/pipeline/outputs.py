"""A job's outputs: its document rendered in each format it asked for, and for the
searchable PDF the page images OCR read, taken again from the upload.

The worker stores what this renders; ``untxt ocr`` writes it out. Renderers
(:mod:`untxt.formats`) see only the document and the images given them.
"""

from __future__ import annotations

from collections.abc import Sequence

from untxt.document import Document
from untxt.formats import FORMATS, Format
from untxt.formats.pdf import encode_jpeg
from untxt.pipeline.inputs import PDF
from untxt.pipeline.pages import load_page
from untxt.pipeline.pdf import scanned_jpeg


def render_outputs(
    document: Document,
    names: Sequence[str],
    data: bytes,
    *,
    media_type: str,
    dpi: int,
    max_pixels: int,
) -> list[tuple[Format, bytes]]:
    """``document`` rendered in each format of ``names``, in that order.

    ``data`` is the upload the document was read from, of ``media_type``; its pages are
    loaded again (at ``dpi`` for a PDF) only when a format draws them.
    """
    formats = [FORMATS[name] for name in names]
    images: list[bytes] = []
    if any(fmt.needs_images for fmt in formats):
        numbers = [page.number for page in document.pages]
        images = page_images(data, media_type, numbers, dpi=dpi, max_pixels=max_pixels)
    return [(fmt, fmt.render(document, images)) for fmt in formats]


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
