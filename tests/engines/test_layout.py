"""Reading order from loose text boxes, on boxes laid out by hand."""

from __future__ import annotations

from untxt.document import BBox, Block, Word
from untxt.engines.layout import TextBox, arrange, page_skew

CHAR_W = 10
LINE_H = 20


def box(text: str, x: int, y: int, *, slope: float = 0.0) -> TextBox:
    """A detected box of ``text`` whose top left is at ``(x, y)``: its words laid out in
    monospace, each word's box following the slope, as a scanner would skew them."""
    words = []
    cursor = x
    for part in text.split():
        width = CHAR_W * len(part)
        top = round(y + slope * (cursor - x))
        words.append(
            Word(
                text=part,
                bbox=BBox(x0=cursor, y0=top, x1=cursor + width, y1=top + LINE_H),
                confidence=0.9,
            )
        )
        cursor += width + CHAR_W
    return TextBox(words=words, slope=slope)


def lines(blocks: list[Block]) -> list[str]:
    return [" ".join(w.text for w in line.words) for block in blocks for line in block.lines]


def test_no_boxes_make_no_blocks() -> None:
    """An image where nothing was detected has an empty page."""
    assert arrange([]) == []
    assert arrange([TextBox(words=[])]) == []


def test_lines_are_read_top_down_whatever_order_the_boxes_came_in() -> None:
    """Engines return boxes in their own order; the page is read from the top."""
    shuffled = [box("third line", 20, 100), box("first line", 20, 20), box("second", 20, 60)]

    assert lines(arrange(shuffled)) == ["first line", "second", "third line"]


def test_fragments_level_with_each_other_form_one_line_across_a_wide_gap() -> None:
    """A receipt's label and its amount far right are one line, left to right."""
    boxes = [
        box("12.50", 400, 62),
        box("Coffee beans", 20, 60),
        box("3.20", 400, 101),
        box("Milk", 20, 100),
    ]

    assert lines(arrange(boxes)) == ["Coffee beans 12.50", "Milk 3.20"]


def test_lines_of_a_skewed_scan_are_grouped_by_the_skew_of_the_long_boxes() -> None:
    """Turned a few degrees, a right-hand amount sits lower than its label's centre by
    more than half a line, yet belongs to it, and not to the line below."""
    slope = 0.05
    boxes = []
    for row, (label, amount) in enumerate([("Bread rolls six", "4.10"), ("Cheese wedge", "7.95")]):
        y = 20 + 40 * row
        boxes.append(box(label, 20, y, slope=slope))
        # The amount starts 480 px to the right: 24 px lower on a 5% slope.
        boxes.append(box(amount, 500, round(y + slope * 480), slope=slope))

    assert page_skew(boxes) == slope
    assert lines(arrange(boxes)) == ["Bread rolls six 4.10", "Cheese wedge 7.95"]


def test_page_skew_comes_from_long_boxes_only() -> None:
    """Short boxes' slopes are noise; without long boxes the page counts as level."""
    long_boxes = [box("a long line of text", 0, y, slope=0.02) for y in (0, 40, 80)]
    short = [TextBox(words=box("x", 0, 200).words, slope=0.1) for _ in range(5)]

    assert page_skew(long_boxes + short) == 0.02
    assert page_skew(short) == 0.0


def test_two_columns_of_prose_are_read_column_by_column() -> None:
    """Where a gutter runs down lines of prose, the left column is read before the right."""
    left = ["the cat sat on", "a warm mat by", "the open door", "and slept well"]
    right = ["dogs ran out into", "the green park and", "chased the ball", "until it was dark"]
    boxes = []
    for row, (a, b) in enumerate(zip(left, right, strict=True)):
        boxes.append(box(a, 20, 20 + 30 * row))
        boxes.append(box(b, 300, 20 + 30 * row))

    assert lines(arrange(boxes)) == left + right


def test_a_column_of_prices_stays_in_its_rows() -> None:
    """Figures beside labels are a table, not a column of text: read row by row."""
    items = [("Apples red", "2.40"), ("Pears green", "3.10"), ("Plums dark", "1.75")]
    items += [("Grapes white", "4.00")]
    boxes = []
    for row, (label, price) in enumerate(items):
        boxes.append(box(label, 20, 20 + 30 * row))
        boxes.append(box(price, 400, 20 + 30 * row))

    assert lines(arrange(boxes)) == [f"{label} {price}" for label, price in items]


def test_a_wide_vertical_gap_starts_a_new_block() -> None:
    """Paragraphs apart on the page are separate blocks, each with its lines."""
    boxes = [
        box("Shop name", 20, 20),
        box("Main street", 20, 45),
        box("Thank you", 20, 200),
    ]

    blocks = arrange(boxes)

    assert [lines([b]) for b in blocks] == [["Shop name", "Main street"], ["Thank you"]]
    assert blocks[0].bbox == BBox(x0=20, y0=20, x1=130, y1=65)


def test_boxes_stacked_in_one_place_are_separate_lines() -> None:
    """Two boxes over the same stretch of the page, their centres less than half a line
    apart, are two tightly set lines, not one."""
    boxes = [box("upper", 20, 20), box("lower", 25, 28)]

    assert lines(arrange(boxes)) == ["upper", "lower"]


def test_level_fragments_drawn_overlapping_are_one_line() -> None:
    """Detectors sometimes draw a line's fragments overlapping: level, they stay one line."""
    boxes = [box("FuelSave 95", 20, 21), box("RM", 400, 20), box("50.00 C", 410, 19)]

    assert lines(arrange(boxes)) == ["FuelSave 95 RM 50.00 C"]


def test_words_keep_their_boxes_and_confidences() -> None:
    """Arranging reorders words; it never changes what the engine said about them."""
    original = [box("Total 9.99", 20, 20), box("Cash 10.00", 20, 50)]

    arranged = [w for b in arrange(original) for line in b.lines for w in line.words]

    assert arranged == [w for b in original for w in b.words]
