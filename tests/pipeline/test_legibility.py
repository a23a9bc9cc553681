"""PP-OCR's recogniser reading a page's lines every way round, and the way up that reads best."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests import samples
from untxt.pipeline.legibility import MIN_CHARACTERS, Legibility, legibility

FONTS = Path("/usr/share/fonts/truetype/dejavu")

LINES = samples.NOTE_LINES


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_the_page_reads_best_the_way_that_rights_it(turned: int) -> None:
    gray = samples.text_image(LINES, size=28).rotate(-turned, expand=True)

    reading = legibility(gray)

    assert reading.turn == (360 - turned) % 360
    assert max(reading.characters) >= 3 * MIN_CHARACTERS


def test_words_that_read_the_same_upside_down_give_no_way_up() -> None:
    """Letters and digits turned half round into themselves: every way reads alike."""
    face = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 30)
    gray = Image.new("L", (900, 300), 255)
    draw = ImageDraw.Draw(gray)
    for i, line in enumerate(["SOON NOON ZOO 808 1001", "SIXX HOHO 6969 NOX", "OXO SIS MOM 0880"]):
        draw.text((50, 60 + 60 * i), line, font=face, fill=0)

    assert legibility(gray).turn is None
    assert legibility(gray.rotate(180)).turn is None


def test_too_few_characters_give_no_way_up() -> None:
    gray = samples.text_image(["Paid"], size=28)

    reading = legibility(gray)

    assert reading.turn is None
    assert max(reading.characters) < MIN_CHARACTERS


def test_rules_and_dots_are_not_read() -> None:
    gray = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(gray)
    for y in range(60, 560, 50):
        for x in range(40, 1160, 30):
            draw.rectangle((x, y, x + 18, y + 3), fill=0)

    assert legibility(gray).characters == (0, 0, 0, 0)


def test_a_turn_reads_best_only_when_no_other_way_reads_better() -> None:
    """Where nothing is read, no turn reads worse than another."""
    assert Legibility((0, 0, 0, 0)).reads_best(90)
    assert Legibility((5, 40, 6, 9)).reads_best(90)
    assert not Legibility((38, 0, 13, 0)).reads_best(270)
    assert not Legibility((38, 0, 13, 0)).reads_best(180)
