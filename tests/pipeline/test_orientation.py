"""Which way up a page stands: the direction classifier's vote on the page as it stands and
turned a quarter; the recogniser's reading, OSD and the text's shape where neither vote is
plain."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests import samples
from untxt.imaging.ink import LINES_DOMINATE, ascent, find_lines, line_height, measure_ink
from untxt.pipeline import orientation as orientation_module
from untxt.pipeline.direction import vote
from untxt.pipeline.legibility import legibility
from untxt.pipeline.orientation import orientation

FONTS = Path("/usr/share/fonts/truetype/dejavu")

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


@pytest.mark.parametrize("turned", [90, 270])
def test_a_page_on_its_side_is_righted_by_the_vote_without_osd(
    page: Image.Image, turned: int, no_osd: list[float]
) -> None:
    """Turned a quarter back, its lines run across and the classifier reads them."""
    gray = page.rotate(-turned, expand=True)  # PIL turns counterclockwise

    assert _orientation(gray) == (360 - turned) % 360
    assert no_osd == []


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_receipt_on_its_side_or_upside_down_is_righted(turned: int) -> None:
    """OSD was unsure of receipts on their side; the vote in both frames is not."""
    gray = samples.text_image(RECEIPT, size=30, margin=60).rotate(-turned, expand=True)

    assert (turned + _orientation(gray)) % 360 == 0


def _thermal_receipt() -> Image.Image:
    """A long narrow receipt, monospaced and faint: its letters make columns as sharp as
    its lines make rows, so the ink's profile cannot say which way the lines run."""
    face = ImageFont.truetype(str(FONTS / "DejaVuSansMono.ttf"), 24)
    lines = ["KEDAI RUNCIT MAJU JAYA", "NO 12 JALAN PASAR", ""]
    lines += [f"{item:<20}{price:>8}" for item, price in ITEMS * 3]
    lines += ["-" * 28, f"{'TOTAL':<20}{'77.45':>8}", "", "THANK YOU COME AGAIN"]
    image = Image.new("L", (576, 120 + 32 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((24, 60 + 32 * i), line, font=face, fill=140)
    return image.filter(ImageFilter.GaussianBlur(0.6))


ITEMS = [
    ("MILO 1KG", "18.90"),
    ("BERAS 5KG", "21.50"),
    ("GULA 2KG", "5.60"),
    ("TELUR GRED A", "13.20"),
    ("MINYAK 2KG", "11.90"),
    ("ROTI GARDENIA", "4.35"),
]


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_a_faint_narrow_monospaced_receipt_is_righted_and_never_turned_upright(
    turned: int,
) -> None:
    gray = _thermal_receipt().rotate(-turned, expand=True)
    ink = measure_ink(gray)
    assert ink is not None
    rows, columns = find_lines(ink), find_lines(ink.turned(90))
    # The profile alone cannot tell.
    assert 1 / LINES_DOMINATE < rows.sharpness / columns.sharpness < LINES_DOMINATE

    assert (turned + _orientation(gray)) % 360 == 0


def test_a_form_upside_down_is_righted_despite_its_boxes() -> None:
    """Its boxes' borders, the longest marks across, are left out of the vote."""
    image = Image.new("L", (1275, 900), 255)
    draw = ImageDraw.Draw(image)
    face = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 20)
    for i, label in enumerate(FORM_LABELS):
        y = 80 + 60 * i
        draw.text((80, y), label, font=face, fill=0)
        draw.rectangle((420, y - 6, 1195, y + 30), outline=0, width=2)
    gray = image.rotate(180)

    assert _orientation(gray) == 180


FORM_LABELS = [
    "Full name of the applicant",
    "Address where you live now",
    "Telephone number and email",
    "Date and place of birth",
    "Name of your employer",
    "Number of your passport",
    "Signature of the applicant",
    "Date of this application",
]


def _receipt_under_a_dark_band() -> Image.Image:
    """A receipt whose scan caught a dark band along its top edge (the scanner's lid, a
    photo's background): the band throws the ink's line height, and the classifier,
    asked about pieces of that height, finds no letters to vote on."""
    face = ImageFont.truetype(str(FONTS / "DejaVuSansMono.ttf"), 22)
    lines = RECEIPT[:4] + RECEIPT[8:12]
    image = Image.new("L", (900, 120 + 36 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((50, 60 + 36 * i), line, font=face, fill=0)
    draw.rectangle((0, 0, 900, 40), fill=0)
    return image


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_where_the_vote_is_unsure_the_recogniser_rights_the_page(
    turned: int, no_osd: list[float]
) -> None:
    gray = _receipt_under_a_dark_band().rotate(-turned, expand=True)
    ink = measure_ink(gray)
    assert ink is not None
    rows, columns = find_lines(ink), find_lines(ink.turned(90))
    across = vote(gray, line_height(ink, rows.angle))
    down = vote(
        gray.transpose(Image.Transpose.ROTATE_270), line_height(ink.turned(90), columns.angle)
    )
    assert across.upside_down is None and down.upside_down is None

    assert (turned + _orientation(gray)) % 360 == 0
    assert no_osd == []


SYMMETRIC = ["SOON NOON ZOO 808 1001", "SIXX HOHO 6969 NOX", "OXO SIS MOM WOW 0880"]


@pytest.mark.parametrize("turned", [0, 180])
def test_where_neither_the_vote_nor_the_reading_is_sure_the_page_is_left(
    turned: int, no_osd: list[float]
) -> None:
    """Under a dark band, words that read the same upside down: the classifier finds
    nothing to vote on, the recogniser reads them alike both ways, and the page stays
    as it is, whichever way up it stands."""
    face = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 30)
    image = Image.new("L", (900, 320), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(SYMMETRIC):
        draw.text((50, 100 + 60 * i), line, font=face, fill=0)
    draw.rectangle((0, 0, 900, 40), fill=0)
    gray = image.rotate(turned)
    ink = measure_ink(gray)
    assert ink is not None
    assert vote(gray, line_height(ink, find_lines(ink).angle)).upside_down is None
    assert legibility(gray).turn is None

    assert _orientation(gray) == 0


def _skewed_receipt_with_a_shadow() -> Image.Image:
    """A receipt scanned 2 degrees askew, with the scanner's grey shadow along its left
    edge: the shadow throws the ink's line height, and the classifier, asked about
    pieces of the wrong height, votes the wrong way by a few pieces."""
    face = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 30)
    width = int(max(face.getlength(line) for line in RECEIPT)) + 120
    image = Image.new("L", (width, 120 + 45 * len(RECEIPT)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(RECEIPT):
        draw.text((60, 60 + 45 * i), line, font=face, fill=0)
    draw.rectangle((0, 0, 40, image.height), fill=60)
    return image.rotate(2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def test_a_turn_that_reads_worse_than_the_page_as_it_stands_is_not_made() -> None:
    gray = _skewed_receipt_with_a_shadow()
    ink = measure_ink(gray)
    assert ink is not None
    rows, columns = find_lines(ink), find_lines(ink.turned(90))
    misled, _ = orientation_module._decide(gray, ink, rows, columns, None)
    assert misled != 0
    assert not legibility(gray).reads_best(misled)

    assert _orientation(gray) == 0
