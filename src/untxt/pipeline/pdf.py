"""PDF access through pypdfium2, serialised by a lock because PDFium is not thread-safe."""

from __future__ import annotations

import threading

import pypdfium2
from PIL import Image

from untxt.errors import CorruptInputError, EncryptedInputError

_PDFIUM = threading.Lock()
_POINTS_PER_INCH = 72
# A scan is used as it is when it covers the page to within a point...
_EDGE_TOLERANCE_PT = 1.0
# ...and its resolution is within a tenth of the one asked for.
_DPI_TOLERANCE = 0.1


def _open(data: bytes) -> pypdfium2.PdfDocument:
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedInputError("the PDF is encrypted with a password") from None
        raise CorruptInputError(f"the PDF cannot be read: {exc}") from None


def _page(pdf: pypdfium2.PdfDocument, index: int) -> pypdfium2.PdfPage:
    try:
        return pdf[index]
    except pypdfium2.PdfiumError as exc:
        raise CorruptInputError(f"the PDF page cannot be read: {exc}") from None


def count_pdf_pages(data: bytes) -> int:
    """Number of pages in the PDF ``data``; raises for damaged or encrypted files."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            pages = len(pdf)
        finally:
            pdf.close()
    if pages == 0:
        raise CorruptInputError("the PDF has no pages")
    return pages


def pdf_page_size(data: bytes, index: int, dpi: int) -> tuple[int, int]:
    """Pixel size of page ``index`` rendered at ``dpi``."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            width, height = _page(pdf, index).get_size()
        finally:
            pdf.close()
    scale = dpi / _POINTS_PER_INCH
    return round(width * scale), round(height * scale)


def render_pdf_page(data: bytes, index: int, dpi: int) -> Image.Image:
    """Page ``index`` (0-based) of ``data`` at ``dpi`` as a greyscale image."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            page = _page(pdf, index)
            try:
                image = _scanned_image(page, dpi)
                if image is None:
                    # PDFium renders colour about twice as fast as greyscale (measured at
                    # 300 DPI); Pillow's conversion afterwards costs a few milliseconds.
                    image = page.render(scale=dpi / _POINTS_PER_INCH).to_pil()
                return image.convert("L")
            except pypdfium2.PdfiumError as exc:
                raise CorruptInputError(f"the PDF page cannot be rendered: {exc}") from None
        finally:
            pdf.close()


def _scanned_image(page: pypdfium2.PdfPage, dpi: int) -> Image.Image | None:
    """The page's pixels as scanned, when the page is one upright image, edge to edge,
    at about ``dpi``: decoding it is five times quicker than rendering the page."""
    if page.get_rotation():
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pypdfium2.raw.FPDF_PAGEOBJ_IMAGE:
        return None
    scan = objects[0]
    a, b, c, d, _, _ = scan.get_matrix().get()
    if b or c or a <= 0 or d <= 0:  # rotated or mirrored
        return None
    width, height = page.get_size()
    left, bottom, right, top = scan.get_bounds()
    edges = (left, bottom, width - right, height - top)
    if any(abs(edge) > _EDGE_TOLERANCE_PT for edge in edges):
        return None
    pixels_wide, _ = scan.get_px_size()
    native_dpi = pixels_wide / (width / _POINTS_PER_INCH)
    if abs(native_dpi - dpi) > dpi * _DPI_TOLERANCE:
        return None
    image: Image.Image = scan.get_bitmap(render=False).to_pil()
    return image
