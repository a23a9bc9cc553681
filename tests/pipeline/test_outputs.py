"""Page images for the searchable PDF: the pixels OCR read, as JPEG."""

from __future__ import annotations

import io

from PIL import Image

from tests import samples
from untxt.pipeline.inputs import PDF
from untxt.pipeline.outputs import page_images
from untxt.pipeline.pdf import render_pdf_page


def _scanned_pdf(image: Image.Image, dpi: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PDF", resolution=dpi)  # Pillow stores the page as one JPEG
    return buffer.getvalue()


def test_a_scanned_pdf_page_keeps_its_own_jpeg() -> None:
    """A page that is one JPEG scan at the job's resolution is passed through, byte for
    byte: no decoding, no second lossy encoding, the same pixels OCR read."""
    scan = samples.text_image(["SCANNED PAGE"], size=40)
    data = _scanned_pdf(scan, 200)

    [jpeg] = page_images(data, PDF, [1], dpi=200, max_pixels=10**8)

    assert jpeg.startswith(b"\xff\xd8") and jpeg in data
    assert Image.open(io.BytesIO(jpeg)).size == render_pdf_page(data, 0, 200).size


def test_a_scanned_page_at_another_resolution_is_rendered_at_the_jobs() -> None:
    """At a resolution the scan does not have, the page is rendered as OCR saw it."""
    data = _scanned_pdf(samples.text_image(["SCANNED PAGE"], size=40), 200)

    [jpeg] = page_images(data, PDF, [1], dpi=100, max_pixels=10**8)

    assert jpeg not in data
    assert Image.open(io.BytesIO(jpeg)).size == render_pdf_page(data, 0, 100).size


def test_a_born_digital_page_is_rendered() -> None:
    data = samples.text_pdf([["BORN DIGITAL"]])

    [jpeg] = page_images(data, PDF, [1], dpi=100, max_pixels=10**8)

    assert Image.open(io.BytesIO(jpeg)).size == render_pdf_page(data, 0, 100).size
