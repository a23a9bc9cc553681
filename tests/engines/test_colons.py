"""Finding the colons a detector leaves out, on lines drawn by the tests."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tests import samples
from untxt.document import BBox, Word
from untxt.engines.colons import find_colons
from untxt.engines.layout import TextBox

SIZE = 36
WIDTH, HEIGHT = 900, 120
TOP = 40  # where the line's text is drawn


class Line:
    """One receipt line drawn in black on white, with the boxes a detector would give."""

    def __init__(self) -> None:
        self.image = Image.new("L", (WIDTH, HEIGHT), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.face = samples.font(SIZE)
        self.boxes: list[TextBox] = []

    def text(self, x: float, text: str, *, boxed: bool = True) -> BBox:
        """Draw ``text`` at ``x``; a box like a detector's (the line's full height) when boxed."""
        self.draw.text((x, TOP), text, font=self.face, fill=0)
        left, _, right, _ = self.draw.textbbox((x, TOP), text, font=self.face)
        # A detector's box runs from above the capitals to below the descenders.
        _, top, _, bottom = self.draw.textbbox((x, TOP), "Hg", font=self.face)
        box = BBox(x0=int(left), y0=int(top) - 4, x1=int(right), y1=int(bottom) + 4)
        if boxed:
            self.boxes.append(TextBox(words=[Word(text=text, bbox=box, confidence=0.9)]))
        return box

    def ink(self, box: BBox) -> BBox:
        """The bounding box of the ink inside ``box``."""
        crop = np.asarray(self.image)[box.y0 : box.y1, box.x0 : box.x1] < 128
        ys, xs = np.nonzero(crop)
        return BBox(
            x0=box.x0 + int(xs.min()),
            y0=box.y0 + int(ys.min()),
            x1=box.x0 + int(xs.max()) + 1,
            y1=box.y0 + int(ys.max()) + 1,
        )

    def colons(self) -> list[TextBox]:
        return find_colons(np.asarray(self.image), self.boxes)


def test_a_colon_alone_in_the_gap_between_label_and_amount_is_found() -> None:
    line = Line()
    line.text(40, "Discount")
    drawn = line.ink(line.text(420, ":", boxed=False))
    line.text(700, "0.00")

    found = line.colons()

    assert len(found) == 1
    (word,) = found[0].words
    assert word.text == ":"
    assert abs(word.bbox.x0 - drawn.x0) <= 1 and abs(word.bbox.x1 - drawn.x1) <= 1
    assert abs(word.bbox.y0 - drawn.y0) <= 1 and abs(word.bbox.y1 - drawn.y1) <= 1
    # Two dots of one font are alike: the confidence says so.
    assert 0.7 <= word.confidence <= 1


def test_a_colon_beside_a_box_with_nothing_after_it_is_found() -> None:
    line = Line()
    line.text(40, "Member")
    line.text(260, ":", boxed=False)

    assert [w.text for box in line.colons() for w in box.words] == [":"]


def test_a_gap_with_other_ink_level_with_the_dots_holds_no_lone_colon() -> None:
    line = Line()
    line.text(40, "Discount")
    line.text(420, ":", boxed=False)
    line.text(434, "x", boxed=False)  # a letter the detector left out
    line.text(700, "0.00")

    assert line.colons() == []


def test_one_dot_is_a_stop_not_a_colon() -> None:
    line = Line()
    line.text(40, "Discount")
    line.text(420, ".", boxed=False)
    line.text(700, "0.00")

    assert line.colons() == []


def test_a_rule_drawn_across_the_top_of_the_line_does_not_hide_the_colon() -> None:
    line = Line()
    label = line.text(40, "Doc No.")
    line.text(420, ":", boxed=False)
    line.text(700, "CS0001")
    # A dashed rule between this line and the one above, inside the boxes' height.
    y = label.y0 + 3
    for x in range(0, WIDTH, 12):
        line.draw.rectangle((x, y, x + 8, y + 2), fill=0)

    assert [w.text for box in line.colons() for w in box.words] == [":"]


def test_a_colon_already_inside_a_box_is_not_found_again() -> None:
    line = Line()
    line.text(40, "Total:")
    line.text(700, "9.00")

    assert line.colons() == []


def test_a_faint_speck_pair_of_unequal_size_is_not_a_colon() -> None:
    line = Line()
    label = line.text(40, "Total")
    line.text(700, "9.00")
    middle = (label.y0 + label.y1) // 2
    line.draw.ellipse((420, middle - 12, 423, middle - 9), fill=0)  # a speck
    line.draw.ellipse((418, middle + 2, 432, middle + 16), fill=0)  # a blot five times its size

    assert line.colons() == []


def test_no_boxes_no_colons() -> None:
    assert find_colons(np.full((50, 50), 255, dtype=np.uint8), []) == []
