"""PDF access through pypdfium2, serialised by a lock because PDFium is not thread-safe."""

from __future__ import annotations

import threading

import pypdfium2
from PIL import Image

from untxt.errors import CorruptInputError, EncryptedInputError

_PDFIUM = threading.Lock()
_POINTS_PER_INCH = 72


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
    """Render page ``index`` (0-based) of ``data`` at ``dpi`` as a greyscale image."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            page = _page(pdf, index)
            try:
                # PDFium renders colour about twice as fast as greyscale (measured at
                # 300 DPI); Pillow's conversion afterwards costs a few milliseconds.
                bitmap = page.render(scale=dpi / _POINTS_PER_INCH)
                image: Image.Image = bitmap.to_pil()
                return image.convert("L")
            except pypdfium2.PdfiumError as exc:
                raise CorruptInputError(f"the PDF page cannot be rendered: {exc}") from None
        finally:
            pdf.close()
