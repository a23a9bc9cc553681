"""PDF access through pypdfium2, serialised by a lock because PDFium is not thread-safe."""

from __future__ import annotations

import ctypes
import io
import math
import threading
from dataclasses import dataclass

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
    scan = _scan(page, dpi)
    if scan is None:
        return None
    image: Image.Image = scan.get_bitmap(render=False).to_pil()
    return image


def _scan(page: pypdfium2.PdfPage, dpi: int) -> pypdfium2.PdfImage | None:
    """The page's one image object, when it covers the page upright at about ``dpi``."""
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
    assert isinstance(scan, pypdfium2.PdfImage)
    return scan


def scanned_jpeg(data: bytes, index: int, dpi: int) -> bytes | None:
    """The JPEG file stored as page ``index``'s scan, when the page is one such scan at
    about ``dpi`` (the image OCR read, in its own pixels), else ``None``.

    A searchable PDF can carry it as it is: no decoding, no second lossy encoding.
    """
    with _PDFIUM:
        pdf = _open(data)
        try:
            scan = _scan(_page(pdf, index), dpi)
            if scan is None or scan.get_filters() != ["DCTDecode"]:
                return None
            jpeg = bytes(scan.get_data(decode_simple=False))
            size = scan.get_px_size()
        except pypdfium2.PdfiumError:
            return None
        finally:
            pdf.close()
    try:
        with Image.open(io.BytesIO(jpeg)) as header:  # reads the header only
            usable = header.format == "JPEG" and header.mode in ("L", "RGB")
            usable = usable and header.size == tuple(size)
    except (OSError, SyntaxError, ValueError):
        return None
    return jpeg if usable else None


# A character box in PDF page space: left, bottom, right, top (points, y up).
PdfBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class PdfChar:
    """One character of a page's text layer, as PDFium orders them."""

    text: str
    #: The glyph's own box; the font's full height where the glyph has no extent.
    box: PdfBox
    #: The box of the font's ascent to descent, for telling lines apart.
    line_box: PdfBox
    #: PDFium made it up (a space or line break between text objects).
    generated: bool
    #: The hyphen of a word broken at the end of a line.
    hyphen: bool
    #: The font has no Unicode for it: the text layer cannot say what it is.
    unmapped: bool
    #: Drawn invisibly (text render mode 3), as OCR tools lay text over a scan.
    invisible: bool


@dataclass(frozen=True)
class PdfTextLayer:
    """A page's text characters, and how its points map to the pixels of its rendering."""

    chars: list[PdfChar]
    #: Page space to pixels of the page rendered at the DPI asked (top-left origin).
    to_pixels: tuple[float, float, float, float, float, float]
    #: The size of that rendering.
    size: tuple[int, int]
    #: Share of the page that images cover (0 to 1, roughly: overlaps count twice).
    image_cover: float


def pdf_text_layer(data: bytes, index: int, dpi: int) -> PdfTextLayer:
    """The text layer of page ``index`` (0-based), placed on the page rendered at ``dpi``."""
    with _PDFIUM:
        pdf = _open(data)
        try:
            page = _page(pdf, index)
            try:
                return _text_layer(page, dpi)
            except pypdfium2.PdfiumError as exc:
                raise CorruptInputError(f"the PDF page's text cannot be read: {exc}") from None
        finally:
            pdf.close()


def _text_layer(page: pypdfium2.PdfPage, dpi: int) -> PdfTextLayer:
    rotation = page.get_rotation()
    # PDFium orders text as the page is displayed: on a page shown turned, lines become
    # columns. Read it unturned (the page object only, not the file, changes).
    if rotation:
        page.set_rotation(0)
    try:
        textpage = page.get_textpage()
        try:
            chars = [_char(textpage, i) for i in range(textpage.count_chars())]
        finally:
            textpage.close()
    finally:
        if rotation:
            page.set_rotation(rotation)
    scale = dpi / _POINTS_PER_INCH
    # The size page.render() gives the bitmap, so that boxes land where rendering puts ink.
    width = math.ceil(page.get_width() * scale)
    height = math.ceil(page.get_height() * scale)
    page_w, page_h = page.get_size()
    covered = 0.0
    for image in page.get_objects(filter=(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=2):
        left, bottom, right, top = image.get_bounds()
        covered += max(0.0, min(right, page_w) - max(left, 0.0)) * max(
            0.0, min(top, page_h) - max(bottom, 0.0)
        )
    return PdfTextLayer(
        chars=chars,
        to_pixels=_page_to_pixels(page, width, height),
        size=(width, height),
        image_cover=min(1.0, covered / (page_w * page_h)) if page_w * page_h else 0.0,
    )


def _char(textpage: pypdfium2.PdfTextPage, index: int) -> PdfChar:
    raw = pypdfium2.raw
    code = raw.FPDFText_GetUnicode(textpage, index)
    box = textpage.get_charbox(index)
    line_box = textpage.get_charbox(index, loose=True)
    if box[2] <= box[0] or box[3] <= box[1]:  # a space, or a glyph without outline
        box = line_box
    hyphen = raw.FPDFText_IsHyphen(textpage, index) == 1
    text_object = raw.FPDFText_GetTextObject(textpage, index)
    return PdfChar(
        # PDFium gives a line-end hyphen its own code (2); it is a hyphen all the same.
        text="-" if hyphen else chr(code) if 0 < code < 0x110000 else "\ufffd",
        box=box,
        line_box=line_box,
        generated=raw.FPDFText_IsGenerated(textpage, index) == 1,
        hyphen=hyphen,
        unmapped=raw.FPDFText_HasUnicodeMapError(textpage, index) == 1,
        invisible=bool(text_object)
        and raw.FPDFTextObj_GetTextRenderMode(text_object) == raw.FPDF_TEXTRENDERMODE_INVISIBLE,
    )


def _page_to_pixels(
    page: pypdfium2.PdfPage, width: int, height: int
) -> tuple[float, float, float, float, float, float]:
    """The affine map from page space to the pixels of the ``width`` x ``height`` rendering,
    taken from PDFium itself, so that crop boxes and /Rotate are accounted for."""
    raw = pypdfium2.raw
    points = []
    for device_x, device_y in ((0, 0), (width, 0), (0, height)):
        x, y = ctypes.c_double(), ctypes.c_double()
        raw.FPDF_DeviceToPage(
            page, 0, 0, width, height, 0, device_x, device_y, ctypes.byref(x), ctypes.byref(y)
        )
        points.append((x.value, y.value))
    (x0, y0), (x1, y1), (x2, y2) = points
    # Pixels to page: p = origin + u * (x-axis per pixel) + v * (y-axis per pixel).
    a, b = (x1 - x0) / width, (x2 - x0) / height
    d, e = (y1 - y0) / width, (y2 - y0) / height
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return (ia, ib, -(ia * x0 + ib * y0), id_, ie, -(id_ * x0 + ie * y0))
