"""The content box: the inked part of a page, dust left out."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests import samples
from tests.pipeline.test_preprocess import PARAGRAPH, RECEIPT
from untxt.document import BBox
from untxt.imaging.content import content_box


def _receipt_on_scanner(specks: int = 300) -> tuple[Image.Image, BBox]:
    """A small receipt on a large, dusty flatbed scan; and where its ink is."""
    receipt = samples.text_image(RECEIPT, size=30, margin=10)
    page = Image.new("L", (2400, 3300), 250)
    origin = (1300, 900)
    page.paste(receipt, origin)
    pixels = np.asarray(page).copy()
    rng = np.random.default_rng(1)
    for x, y in zip(rng.integers(0, 2399, specks), rng.integers(0, 3299, specks), strict=True):
        pixels[y : y + 2, x : x + 2] = 60  # dust: two pixels a side
    ink = np.argwhere(np.asarray(receipt) < 128)
    (top, left), (bottom, right) = ink.min(axis=0), ink.max(axis=0)
    return Image.fromarray(pixels), BBox(
        x0=origin[0] + int(left),
        y0=origin[1] + int(top),
        x1=origin[0] + int(right) + 1,
        y1=origin[1] + int(bottom) + 1,
    )


def test_content_box_holds_the_receipt_and_leaves_out_the_empty_scan() -> None:
    image, ink = _receipt_on_scanner()

    box = content_box(image)

    assert box is not None
    x0, y0, x1, y1 = box
    assert x0 <= ink.x0 and y0 <= ink.y0 and x1 >= ink.x1 and y1 >= ink.y1
    # Dust does not stretch it: only a margin around the receipt.
    assert (x1 - x0) * (y1 - y0) < 0.1 * image.width * image.height


@pytest.mark.parametrize(
    "image",
    [
        samples.text_image(PARAGRAPH, size=28),
        Image.new("L", (2400, 3300), 250),
    ],
    ids=["full page", "blank"],
)
def test_content_box_is_none_for_full_and_blank_pages(image: Image.Image) -> None:
    assert content_box(image) is None
