"""PDF pages read from their own text layer, and the ``pdf_mode`` that decides when."""

from __future__ import annotations

import numpy as np
import pytest

from tests import samples
from untxt.document import BBox, Page
from untxt.engines import EngineRegistry
from untxt.engines.base import OcrEngine
from untxt.options import JobOptions
from untxt.pipeline import recognize_document, recognize_page
from untxt.pipeline.pdf import render_pdf_page
from untxt.pipeline.pdftext import TEXT_LAYER_ENGINE, read_text_layer

PDF = "application/pdf"
MAX_PIXELS = 50_000_000
DPI = 150
LINES = ["INVOICE 4711 PAID", "TOTAL 99 EUR"]
WORDS = " ".join(LINES).split()
# samples.pdf draws its scans at 200 DPI: reading them at 200 keeps the text at its size.
SMALL = JobOptions(resolution="small")


@pytest.fixture(scope="module")
def tesseract(engines: EngineRegistry) -> OcrEngine:
    return engines.get("tesseract")


def _ink(data: bytes, dpi: int) -> np.ndarray:
    """Where the page rendered at ``dpi`` is dark."""
    return np.asarray(render_pdf_page(data, 0, dpi)) < 128


def _ink_box(ink: np.ndarray) -> BBox:
    ys, xs = np.nonzero(ink)
    return BBox(x0=int(xs.min()), y0=int(ys.min()), x1=int(xs.max()) + 1, y1=int(ys.max()) + 1)


def _share_of_ink_in(ink: np.ndarray, boxes: list[BBox]) -> float:
    inside = np.zeros_like(ink)
    for box in boxes:
        inside[box.y0 : box.y1, box.x0 : box.x1] = True
    return float((ink & inside).sum() / ink.sum())


def _close(a: BBox, b: BBox, tolerance: int) -> bool:
    pairs = zip(a.model_dump().values(), b.model_dump().values(), strict=True)
    return all(abs(p - q) <= tolerance for p, q in pairs)


def _read(data: bytes, *, dpi: int = DPI, keep_text: bool = True) -> Page:
    page = read_text_layer(data, 0, number=1, dpi=dpi, keep_text=keep_text)
    assert page is not None, "the page should have been read from its text layer"
    return page


def test_born_digital_page_is_read_from_its_text_layer_in_the_rendered_pages_pixels() -> None:
    """Words, lines and their boxes come from the text layer, placed on the page's rendering."""
    data = samples.text_pdf([LINES])
    ink = _ink(data, DPI)

    page = _read(data)

    assert page.source == "text-layer"
    assert page.engine == TEXT_LAYER_ENGINE
    assert (page.height, page.width) == ink.shape  # the size the page renders at
    assert page.dpi == DPI
    assert [line.text for block in page.blocks for line in block.lines] == LINES
    words = list(page.words())
    assert [w.text for w in words] == WORDS
    assert all(w.confidence == 1.0 for w in words) and page.confidence == 1.0
    # Every glyph drawn lies in some word's box, and the boxes hug the ink.
    assert _share_of_ink_in(ink, [w.bbox for w in words]) > 0.99
    assert _close(BBox.union(w.bbox for w in words), _ink_box(ink), tolerance=3)
    for word in words:
        box = word.bbox
        assert ink[box.y0 : box.y1, box.x0 : box.x1].any(), word.text


def test_text_layer_boxes_match_where_ocr_finds_the_same_words(tesseract: OcrEngine) -> None:
    """An independent check: Tesseract on the rendered page puts each word where the layer does."""
    data = samples.text_pdf([LINES])
    options = JobOptions(resolution="small", pdf_mode="force")

    from_layer = _read(data, dpi=options.dpi)
    ocred = recognize_page(data, PDF, 1, options, tesseract, max_pixels=10**8)

    assert ocred.source == "ocr"
    assert [w.text for w in ocred.words()] == WORDS
    for layer_word, ocr_word in zip(from_layer.words(), ocred.words(), strict=True):
        # Tesseract's boxes are the glyphs' ink; the layer's the font's box: a few pixels.
        assert _close(layer_word.bbox, ocr_word.bbox, tolerance=8), (layer_word, ocr_word)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_turned_page_reads_in_line_order_with_boxes_on_the_turned_rendering(
    rotate: int,
) -> None:
    """/Rotate turns the rendering: the page is as wide as it renders, lines stay lines."""
    data = samples.text_pdf([LINES], rotate=rotate)
    ink = _ink(data, DPI)
    upright = _read(samples.text_pdf([LINES]))

    page = _read(data)

    assert (page.height, page.width) == ink.shape
    assert (page.width, page.height) == (
        (upright.height, upright.width) if rotate in (90, 270) else (upright.width, upright.height)
    )
    assert [line.text for block in page.blocks for line in block.lines] == LINES
    words = list(page.words())
    assert _share_of_ink_in(ink, [w.bbox for w in words]) > 0.99
    assert _close(BBox.union(w.bbox for w in words), _ink_box(ink), tolerance=3)
    for word in words:
        box = word.bbox
        assert ink[box.y0 : box.y1, box.x0 : box.x1].any(), word.text
        # Glyphs run along the line: on a page turned a quarter, words are taller than wide.
        along, across = box.x1 - box.x0, box.y1 - box.y0
        if rotate in (90, 270):
            along, across = across, along
        assert along > across or len(word.text) <= 2, word


def test_a_page_without_a_text_layer_is_left_to_ocr() -> None:
    """An image-only page (a scan) has no text layer to read."""
    assert read_text_layer(samples.pdf([["ONLY AN IMAGE"]]), 0, number=1, dpi=DPI) is None


def test_a_scan_with_a_few_stamped_words_is_still_a_scan() -> None:
    """Visible text of a few words over a full-page image (a page number, a scanner's
    caption) does not make the page born-digital: it is OCRed."""
    scan = samples.text_image(["SCANNED LETTER BODY"])
    data = samples.text_pdf([["Page 7 of 9"]], scan=scan)

    assert read_text_layer(data, 0, number=1, dpi=200) is None


def test_invisible_ocr_text_over_a_scan_is_kept_as_the_pages_text() -> None:
    """A scan another tool OCRed already carries its text invisibly: it is read, not OCRed."""
    scan = samples.text_image(["SCANNED LETTER BODY"])
    data = samples.text_pdf([["SCANNED LETTER BODY"]], scan=scan, invisible=True)

    page = _read(data, dpi=200)

    assert page.source == "text-layer"
    assert page.text == "SCANNED LETTER BODY"


def test_mixed_pdf_reads_the_text_page_from_its_layer_and_ocrs_the_scan(
    tesseract: OcrEngine,
) -> None:
    """Page by page: the born-digital page keeps its text, the scanned one is recognised."""
    data = samples.join_pdfs(samples.text_pdf([LINES]), samples.pdf([["SCANNED SECOND PAGE"]]))

    document = recognize_document(data, SMALL, tesseract, max_pages=10, max_pixels=MAX_PIXELS)

    text_page, scan_page = document.pages
    assert (text_page.source, text_page.engine) == ("text-layer", TEXT_LAYER_ENGINE)
    assert text_page.text == "\n".join(LINES)
    assert (scan_page.source, scan_page.engine) == ("ocr", "tesseract")
    assert scan_page.text == "SCANNED SECOND PAGE"
    assert scan_page.confidence is not None and scan_page.confidence < 1


def test_pdf_mode_force_ocrs_a_page_that_has_a_text_layer(tesseract: OcrEngine) -> None:
    """``force`` ignores the text layer: the page is rendered and recognised."""
    data = samples.text_pdf([LINES])

    page = recognize_page(
        data, PDF, 1, JobOptions(resolution="small", pdf_mode="force"), tesseract, max_pixels=10**8
    )

    assert (page.source, page.engine) == ("ocr", "tesseract")
    assert page.text == "\n".join(LINES)


def test_pdf_mode_skip_text_ocrs_only_the_pages_without_text(tesseract: OcrEngine) -> None:
    """``skip_text`` neither OCRs nor reads a page that has text: it is in the result,
    sized and marked as a text-layer page, without words; scanned pages are recognised."""
    data = samples.join_pdfs(samples.text_pdf([LINES]), samples.pdf([["SCANNED SECOND PAGE"]]))
    options = JobOptions(resolution="small", pdf_mode="skip_text")

    document = recognize_document(data, options, tesseract, max_pages=10, max_pixels=MAX_PIXELS)

    skipped, scan_page = document.pages
    assert skipped.source == "text-layer"
    assert skipped.blocks == [] and skipped.text == "" and skipped.confidence is None
    read = _read(data, dpi=200)
    assert (skipped.width, skipped.height) == (read.width, read.height)
    assert scan_page.source == "ocr"
    assert scan_page.text == "SCANNED SECOND PAGE"
    # The document's confidence is the OCRed page's alone.
    assert document.confidence == scan_page.confidence


def test_skip_text_and_auto_agree_on_which_pages_have_text() -> None:
    """The same test decides both modes: a scan is OCRed in either."""
    scan = samples.pdf([["ONLY AN IMAGE"]])
    text = samples.text_pdf([LINES])

    assert read_text_layer(scan, 0, number=1, dpi=DPI, keep_text=False) is None
    assert _read(text, keep_text=False).blocks == []
    assert _read(text, keep_text=True).blocks != []


def test_a_text_layer_whose_font_has_no_unicode_map_is_left_to_ocr() -> None:
    """Codes that the font maps to made-up glyph names say nothing readable: OCR decides."""
    content = b"BT /F1 24 Tf 36 700 Td (ABCDEFGHIJKLMNOP) Tj ET"
    glyphs = b" ".join(b"/g%d" % i for i in range(16))
    data = samples.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
            b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
            b" /Encoding << /Type /Encoding /Differences [65 %s] >> >>" % glyphs,
        ]
    )

    assert read_text_layer(data, 0, number=1, dpi=DPI) is None
