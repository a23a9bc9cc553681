"""Recognising pages and whole documents in process, with real Tesseract."""

from __future__ import annotations

import pytest
from PIL import Image

from tests import samples
from untxt.engines import EngineRegistry
from untxt.engines.base import OcrEngine
from untxt.errors import CorruptInputError, EngineUnavailableError, InputTooLargeError
from untxt.options import JobOptions
from untxt.pipeline import recognize_document, recognize_page

LIMITS = {"max_pages": 10, "max_pixels": 50_000_000}
# Pages are drawn at 200 DPI; rendering at the same DPI keeps the text at its drawn size.
SMALL = JobOptions(resolution="small")


@pytest.fixture(scope="module")
def tesseract(engines: EngineRegistry) -> OcrEngine:
    return engines.get("tesseract")


def test_pdf_document_is_recognised_page_by_page_with_progress(tesseract: OcrEngine) -> None:
    """Each page's words land on that page; progress is reported before and after each page."""
    data = samples.pdf([["INVOICE 12345"], ["TOTAL 678"]], dpi=200)
    progress: list[tuple[int, int]] = []

    document = recognize_document(
        data,
        SMALL,
        tesseract,
        **LIMITS,
        source="invoice.pdf",
        on_page=lambda done, total: progress.append((done, total)),
    )

    assert [page.text for page in document.pages] == ["INVOICE 12345", "TOTAL 678"]
    assert [page.number for page in document.pages] == [1, 2]
    assert progress == [(0, 2), (1, 2), (2, 2)]
    assert document.source == "invoice.pdf"
    assert document.confidence is not None and 0 < document.confidence <= 1


def test_pdf_pages_are_recognised_at_the_resolution_asked(tesseract: OcrEngine) -> None:
    """The page records the render DPI, and its pixel size follows from it."""
    data = samples.pdf([["INVOICE 12345"]], dpi=200)
    drawn = samples.text_image(["INVOICE 12345"])

    page = recognize_page(data, "application/pdf", 1, SMALL, tesseract, max_pixels=10**8)

    assert page.dpi == 200
    assert abs(page.width - drawn.width) <= 1
    assert page.text == "INVOICE 12345"


def test_recognize_page_reads_the_numbered_tiff_page(tesseract: OcrEngine) -> None:
    """Page numbers are 1-based: page 2 is the second frame, and says so."""
    data = samples.multipage([["FIRST PAGE"], ["SECOND PAGE"]], "TIFF", dpi=300)

    page = recognize_page(data, "image/tiff", 2, JobOptions(), tesseract, max_pixels=10**8)

    assert page.number == 2
    assert page.text == "SECOND PAGE"
    assert page.dpi == 300


def test_image_document_keeps_its_own_pixels_and_vietnamese_text(tesseract: OcrEngine) -> None:
    """A PNG is read at its own size, whatever the resolution preset, in the languages asked."""
    image = samples.text_image(["Tiếng Việt có dấu"])
    options = JobOptions(languages=["vie"], resolution="gundam")

    document = recognize_document(samples.encode(image, "PNG"), options, tesseract, **LIMITS)

    (page,) = document.pages
    assert (page.width, page.height) == image.size
    assert page.dpi is None
    assert page.text == "Tiếng Việt có dấu"


def test_unsupported_options_are_refused_before_the_input_is_read(tesseract: OcrEngine) -> None:
    """A missing language fails first, even for an input that would also be refused."""
    with pytest.raises(EngineUnavailableError, match="klingon"):
        recognize_document(b"", JobOptions(languages=["klingon"]), tesseract, **LIMITS)
    with pytest.raises(EngineUnavailableError, match="handwritten"):
        recognize_document(b"", JobOptions(mode="handwritten"), tesseract, **LIMITS)


def test_too_many_pages_are_refused_before_any_recognition(tesseract: OcrEngine) -> None:
    """The page limit stops the job before the first page is read."""
    data = samples.pdf([["ONE"], ["TWO"], ["THREE"]])
    progress: list[tuple[int, int]] = []

    with pytest.raises(InputTooLargeError):
        recognize_document(
            data,
            SMALL,
            tesseract,
            max_pages=2,
            max_pixels=10**8,
            on_page=lambda done, total: progress.append((done, total)),
        )

    assert progress == []


def test_later_page_over_the_pixel_limit_fails_the_document_naming_the_page(
    tesseract: OcrEngine,
) -> None:
    """A TIFF whose second page is too large fails with an error that says which page."""
    first = samples.text_image(["FIRST"])
    data = samples.encode(
        first, "TIFF", save_all=True, append_images=[Image.new("L", (3000, 3000), "white")]
    )

    with pytest.raises(InputTooLargeError, match="page 2"):
        recognize_document(data, JobOptions(), tesseract, max_pages=5, max_pixels=1_000_000)


def test_bad_input_is_refused_with_its_input_error(tesseract: OcrEngine) -> None:
    """Inputs refused at submit are refused the same way here (the CLI path)."""
    with pytest.raises(CorruptInputError):
        recognize_document(samples.truncated_png(), JobOptions(), tesseract, **LIMITS)
