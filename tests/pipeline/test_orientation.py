"""Which way up a page stands, and when Tesseract's OSD has to be asked."""

from __future__ import annotations

import pytest
from PIL import Image

from tests import samples
from untxt.pipeline import orientation as orientation_module
from untxt.pipeline.ink import ascent, find_lines, measure_ink
from untxt.pipeline.orientation import orientation

PROSE = [
    "The committee met on Tuesday to review the quarterly budget and the plans",
    "for the new library building, which is expected to open in the spring of",
    "next year. Several members asked for a clearer account of the costs, and",
    "the treasurer agreed to bring a detailed report to the following meeting.",
] * 10


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """A 300-DPI page of prose, 2550 pixels wide, capitals about 30 pixels high."""
    return samples.text_image(PROSE, size=40, margin=150, width=2550)


# Skews at which the analysis copy blurs the lines' ascenders into their cores.
@pytest.mark.parametrize("skew", [-0.3, 1.5])
def test_an_upright_skewed_page_the_small_copy_leaves_unsure_asks_no_osd(
    page: Image.Image, skew: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured again at full size, its lines plainly reach up: OSD's tenths are saved."""
    gray = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    ink = measure_ink(gray)
    assert ink is not None
    rows, columns = find_lines(ink), find_lines(ink.turned(90))
    assert ascent(ink, rows.angle) < 1.5  # the small copy alone would have asked OSD
    asked: list[float] = []

    def osd(gray: Image.Image, line_height: float | None, tessdata: object) -> int:
        asked.append(line_height or 0.0)
        return 0

    monkeypatch.setattr(orientation_module, "_osd", osd)

    assert orientation(gray, ink, rows, columns, None) == 0
    assert asked == []


def test_the_same_page_upside_down_is_still_put_to_osd_and_turned(page: Image.Image) -> None:
    gray = page.rotate(180 - 0.3, resample=Image.Resampling.BICUBIC, fillcolor=255)
    ink = measure_ink(gray)
    assert ink is not None

    turn = orientation(gray, ink, find_lines(ink), find_lines(ink.turned(90)), None)

    assert turn == 180
