"""Which way up a page stands: the direction classifier for lines across, OSD for lines down."""

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

# A receipt: capitals, digits and rules, whose ascent says little either way up.
RECEIPT = [
    "SYARIKAT PERNIAGAAN GIN KEE",
    "NO 290 JALAN AIR PANAS 53200",
    "GST REG NO 001085964480",
    "TAX INVOICE",
    "------------------------------",
    "INV NO 18682  DATE 02/01/2018",
    "CASHIER 01  TIME 15:40:20",
    "------------------------------",
    "SAND CEMENT 50KG    2   17.60",
    "PAINT BRUSH 2IN     1    8.90",
    "PVC PIPE 1/2 X 10FT 4   24.00",
    "NAILS 3IN 1KG       1    6.50",
    "------------------------------",
    "TOTAL QTY 8",
    "TOTAL INCL GST      RM  57.00",
    "CASH                RM 100.00",
    "CHANGE              RM  43.00",
    "GST SUMMARY  AMOUNT  TAX",
    "SR 6%        53.77   3.23",
    "THANK YOU PLEASE COME AGAIN",
]


@pytest.fixture(scope="module")
def page() -> Image.Image:
    """A 300-DPI page of prose, 2550 pixels wide, capitals about 30 pixels high."""
    return samples.text_image(PROSE, size=40, margin=150, width=2550)


@pytest.fixture()
def no_osd(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """OSD replaced by a recorder of the calls made to it, which answers 'unsure'."""
    asked: list[float] = []

    def osd(gray: Image.Image, line_height: float | None, tessdata: object) -> int:
        asked.append(line_height or 0.0)
        return 0

    monkeypatch.setattr(orientation_module, "_osd", osd)
    return asked


def _orientation(gray: Image.Image) -> int:
    ink = measure_ink(gray)
    assert ink is not None
    return orientation(gray, ink, find_lines(ink), find_lines(ink.turned(90)), None)


@pytest.mark.parametrize("skew", [-0.3, 1.5, 180 - 0.3, 180 + 1.5])
def test_lines_across_are_righted_without_osd(
    page: Image.Image, skew: float, no_osd: list[float]
) -> None:
    gray = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)

    assert _orientation(gray) == (180 if skew > 90 else 0)
    assert no_osd == []


@pytest.mark.parametrize("turned", [0, 180])
def test_a_receipt_of_capitals_and_digits_is_righted(turned: int) -> None:
    """OSD, asked about such receipts, was unsure of most of them either way up."""
    gray = samples.text_image(RECEIPT, size=30, margin=60).rotate(turned)
    ink = measure_ink(gray)
    assert ink is not None
    rows = find_lines(ink)
    assert 0.5 < ascent(ink, rows.angle) < 2  # no plain answer from the letters' shape

    assert _orientation(gray) == turned


def test_a_page_on_its_side_is_still_put_to_osd(page: Image.Image, no_osd: list[float]) -> None:
    gray = page.rotate(90, expand=True)

    assert _orientation(gray) == 0  # the recorder is never sure
    assert len(no_osd) == 1
