"""PP-OCR's text direction classifier's vote on whether lines stand upside down."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from tests import samples
from untxt.imaging.ink import find_lines, line_height, measure_ink
from untxt.pipeline.direction import upside_down

LINES = samples.NOTE_LINES


def _height(gray: Image.Image) -> float | None:
    ink = measure_ink(gray)
    assert ink is not None
    return line_height(ink, find_lines(ink).angle)


@pytest.mark.parametrize(("turned", "expected"), [(0, False), (180, True)])
def test_the_vote_tells_upright_from_upside_down(turned: int, expected: bool) -> None:
    gray = samples.text_image(LINES, size=28).rotate(turned)

    assert upside_down(gray, _height(gray)) is expected


def test_rules_alone_are_no_vote() -> None:
    """Dashes and dots are too low to be letters: no piece is asked about."""
    gray = Image.new("L", (1200, 600), 255)
    draw = ImageDraw.Draw(gray)
    for y in range(60, 560, 50):
        for x in range(40, 1160, 30):
            draw.rectangle((x, y, x + 18, y + 3), fill=0)

    assert upside_down(gray, 28.0) is None


def test_a_single_short_line_is_no_vote() -> None:
    """Too few pieces to outvote chance: the caller falls back on the text's shape."""
    gray = samples.text_image(["Paid in full"], size=28)

    assert upside_down(gray, 28.0) is None


def test_without_a_line_height_there_is_no_vote() -> None:
    assert upside_down(samples.text_image(LINES, size=28), None) is None
