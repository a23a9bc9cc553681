"""Markdown renderer: page comments, a paragraph per block, text that renders literally."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token
from PIL import Image, ImageDraw

from tests import samples
from tests.formats.documents import (
    CHAR_WIDTH,
    block_of,
    cells_line,
    make_document,
    page_of,
    text_block,
)
from untxt.config import Settings
from untxt.document import Block, Document
from untxt.engines import EngineRegistry
from untxt.formats.layout import Paragraph, Table, page_items
from untxt.formats.markdown import escape_markdown, render_markdown
from untxt.options import JobOptions
from untxt.pipeline import recognize_document

_COMMONMARK = MarkdownIt("commonmark")


def _rendered_paragraphs(markdown: str) -> list[str]:
    """The literal text of each paragraph a CommonMark parser sees, lines joined by newline.

    Fails if the parser finds anything but plain paragraphs (headings, lists, HTML, emphasis).
    """
    tokens = _COMMONMARK.parse(markdown)
    for token in tokens:
        if token.type == "html_block":
            assert re.fullmatch(r"<!-- page \d+ -->\n", token.content), token.content
        else:
            assert token.type in {"paragraph_open", "inline", "paragraph_close"}, token.type
    paragraphs = []
    for token in tokens:
        if token.type != "inline":
            continue
        children = token.children or []
        kinds = {child.type for child in children}
        assert kinds <= {"text", "softbreak"}, f"{token.content!r} parsed as {kinds}"
        paragraphs.append(
            "".join("\n" if child.type == "softbreak" else child.content for child in children)
        )
    return paragraphs


def test_each_page_starts_with_a_page_comment() -> None:
    """A ``<!-- page N -->`` comment precedes every page's text, blank pages included."""
    document = make_document([[["alpha"]], [], [["gamma"]]])

    markdown = render_markdown(document)

    assert re.findall(r"<!-- page (\d+) -->", markdown) == ["1", "2", "3"]
    assert markdown.index("<!-- page 1 -->") < markdown.index("alpha")
    assert markdown.index("<!-- page 3 -->") < markdown.index("gamma")


def test_each_block_becomes_one_paragraph() -> None:
    """Blocks become paragraphs; the lines of a block stay in the same paragraph."""
    document = make_document([[["first block", "second line"], ["another block"]]])

    assert _rendered_paragraphs(render_markdown(document)) == [
        "first block\nsecond line",
        "another block",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "# not a heading",
        "## Total",
        "* not a bullet",
        "- not a bullet",
        "+ not a bullet",
        "> not a quote",
        "1. not a numbered item",
        "2) not a numbered item",
        "10.5 kg of flour",
        "| not | a | table |",
        "snake_case_name and __init__",
        "a *star* and **bold** word",
        "AT&amp;T &copy; 2024 &#35;1",
        "[not a link](http://example.com)",
        "<script>alert(1)</script>",
        "back\\slash and `code`",
    ],
)
def test_markdown_syntax_in_recognised_text_renders_literally(line: str) -> None:
    """A CommonMark parser shows the recognised characters, not headings, lists or markup."""
    document = make_document([[[line]]])

    assert _rendered_paragraphs(render_markdown(document)) == [line]


def test_setext_underline_line_does_not_turn_the_line_above_into_a_heading() -> None:
    """A line of ``===`` or ``---`` under text stays text."""
    document = make_document([[["Heading?", "========"], ["Rule?", "--------"]]])

    assert _rendered_paragraphs(render_markdown(document)) == [
        "Heading?\n========",
        "Rule?\n--------",
    ]


def test_escape_leaves_plain_words_and_numbers_mid_line_alone() -> None:
    """Only syntax characters are escaped; ordinary text is unchanged."""
    assert escape_markdown("INVOICE 12345 TOTAL 1.5") == "INVOICE 12345 TOTAL 1.5"


def test_vietnamese_text_passes_through_markdown_unchanged() -> None:
    """Diacritics need no escaping."""
    document = make_document([[["Tiếng Việt có dấu"]]])

    assert "Tiếng Việt có dấu" in render_markdown(document)


# --- headings and tables ----------------------------------------------------------------

_GFM = MarkdownIt("commonmark").enable("table")
BODY = ["Running text of the page, in the body size.", "A second line of it."]


def _literal(inline: Token) -> str:
    """The text an inline token renders to, soft line breaks as newlines."""
    return "".join(
        "\n" if child.type == "softbreak" else child.content for child in inline.children or []
    )


def _blocks(markdown: str) -> list[tuple[str, str]]:
    """Top-level structure a CommonMark + tables parser sees: (kind, literal text)."""
    tokens = _GFM.parse(markdown)
    out = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            out.append((token.tag, _literal(tokens[i + 1])))
        elif token.type == "paragraph_open" and token.level == 0:
            out.append(("p", _literal(tokens[i + 1])))
        elif token.type == "table_open":
            out.append(("table", ""))
    return out


def _table_rows(markdown: str) -> list[list[str]]:
    """Cells of the first table, as rendered text."""
    rows: list[list[str]] = []
    for token in _GFM.parse(markdown):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(_literal(token))
        elif token.type == "table_close":
            break
    return rows


def test_a_short_block_of_much_taller_words_is_a_heading() -> None:
    """Twice the body's word height makes a level-1 heading, one and a half a level-2."""
    page = page_of(
        [
            text_block(["Annual Report"], 50, height=60),
            text_block(BODY, 150),
            text_block(["Sales by region"], 250, height=40),
            text_block(BODY, 320),
        ]
    )

    blocks = _blocks(render_markdown(Document.from_pages([page])))

    assert blocks == [
        ("h1", "Annual Report"),
        ("p", "\n".join(BODY)),
        ("h2", "Sales by region"),
        ("p", "\n".join(BODY)),
    ]


@pytest.mark.parametrize(
    "blocks",
    [
        # As tall as the body.
        [text_block(["Not a heading"], 50), text_block(BODY, 150)],
        # Tall, but a paragraph of several lines.
        [text_block(["Tall", "text", "in three lines"], 50, height=60), text_block(BODY, 300)],
        # The only block on the page: nothing to stand out from.
        [text_block(["Alone and large"], 50, height=60)],
    ],
)
def test_blocks_that_do_not_stand_out_stay_paragraphs(blocks: list[Block]) -> None:
    """Size alone, length alone or a lone block do not make headings."""
    markdown = render_markdown(Document.from_pages([page_of(blocks)]))

    assert "#" not in markdown
    assert {kind for kind, _ in _blocks(markdown)} == {"p"}


def test_heading_text_renders_literally() -> None:
    """Markdown syntax inside a heading, a closing # included, is escaped."""
    page = page_of([text_block(["C# *and* F# #"], 50, height=60), text_block(BODY, 150)])

    assert _blocks(render_markdown(Document.from_pages([page])))[0] == ("h1", "C# *and* F# #")


TABLE = [
    [(50, "Item"), (400, "Qty"), (600, "Price")],
    [(50, "Coffee beans"), (400, "12"), (600, "4.50")],
    [(50, "Green tea"), (400, "3"), (600, "2.25")],
]


def test_lines_whose_cells_line_up_become_a_table() -> None:
    """Rows with wide gaps between cells in the same columns are a table, first row its header."""
    lines = [cells_line(row, 100 + 40 * i) for i, row in enumerate(TABLE)]
    page = page_of([text_block(BODY, 20), block_of(lines)])

    markdown = render_markdown(Document.from_pages([page]))

    assert [kind for kind, _ in _blocks(markdown)] == ["p", "table"]
    assert _table_rows(markdown) == [[text for _, text in row] for row in TABLE]


def test_right_aligned_numbers_and_missing_cells_stay_in_their_columns() -> None:
    """Cells of different widths that overlap down a column share it; a row may skip one."""
    rows = [
        [(50, "Item"), (580, "Price")],
        [(50, "Espresso"), (600, "2.50")],
        [(50, "Cake"), (300, "gluten free"), (590, "12.00")],
    ]
    lines = [cells_line(row, 100 + 40 * i) for i, row in enumerate(rows)]

    markdown = render_markdown(Document.from_pages([page_of([block_of(lines)])]))

    assert _table_rows(markdown) == [
        ["Item", "", "Price"],
        ["Espresso", "", "2.50"],
        ["Cake", "gluten free", "12.00"],
    ]


def test_text_around_a_table_in_one_block_stays_paragraphs() -> None:
    """A block of text, then aligned rows, then text: paragraph, table, paragraph."""
    lines = [
        cells_line([(50, "Prices this week:")], 60),
        *(cells_line(row, 100 + 40 * i) for i, row in enumerate(TABLE)),
        cells_line([(50, "All prices include tax.")], 220),
    ]

    markdown = render_markdown(Document.from_pages([page_of([block_of(lines)])]))

    assert _blocks(markdown) == [
        ("p", "Prices this week:"),
        ("table", ""),
        ("p", "All prices include tax."),
    ]


@pytest.mark.parametrize(
    "rows",
    [
        # One row is no table.
        [[(50, "Total"), (600, "99.00")]],
        # Cells that do not line up: the second row's cell spans two columns of the first.
        [
            [(50, "Name"), (300, "Date"), (450, "Sum")],
            [(50, "Alice"), (250, "paid in full on the 3rd")],
        ],
        # Ordinary spaces between words: running text.
        [[(50, "just some words")], [(50, "and some more")]],
    ],
)
def test_lines_that_do_not_line_up_are_not_tables(rows: list[list[tuple[int, str]]]) -> None:
    """Tables need two rows, two columns, and cells that stay in their columns."""
    lines = [cells_line(row, 100 + 40 * i) for i, row in enumerate(rows)]

    markdown = render_markdown(Document.from_pages([page_of([block_of(lines)])]))

    assert "table" not in {kind for kind, _ in _blocks(markdown)}
    assert "|" not in markdown.replace("\\|", "")


def test_table_cells_render_literally() -> None:
    """A | in a cell does not split it; other syntax inside cells is escaped too."""
    rows = [[(50, "a|b"), (400, "*x*")], [(50, "[link](y)"), (400, "<b>")]]
    lines = [cells_line(row, 100 + 40 * i) for i, row in enumerate(rows)]

    markdown = render_markdown(Document.from_pages([page_of([block_of(lines)])]))

    assert _table_rows(markdown) == [["a|b", "*x*"], ["[link](y)", "<b>"]]


# --- receipts ----------------------------------------------------------------------------

RECEIPT_RIGHT = 700


def _receipt_row(label: str, amount: str, *, quantity: str = "") -> list[tuple[int, str]]:
    """A till line: the label at the margin, the amount flush right, a quantity between."""
    row = [(50, label)]
    if quantity:
        row.append((400, quantity))
    return [*row, (RECEIPT_RIGHT - CHAR_WIDTH * len(amount), amount)]


def _centred(text: str) -> list[tuple[int, str]]:
    return [(375 - CHAR_WIDTH * len(text) // 2, text)]


def test_a_receipt_s_item_lines_make_one_table_and_its_other_lines_paragraphs() -> None:
    """Header and footer lines stay text; the item lines, one of them with a quantity that a
    longer item name below reaches into, make one table of item and amount."""
    rows = [
        _centred("CORNER CAFE"),
        _centred("12 Market Street, Springfield"),
        [(50, "2024-05-01 12:31 Till 3")],
        _receipt_row("Cappuccino large", "6.40", quantity="2 x 3.20"),
        _receipt_row("Croissant", "2.10"),
        _receipt_row("Mineral water sparkling bottle 0.5l", "1.80"),
        _receipt_row("TOTAL EUR", "10.30"),
        _receipt_row("Paid by card", "10.30"),
        _centred("Thank you for your visit!"),
    ]
    lines = [cells_line(row, 60 + 35 * i) for i, row in enumerate(rows)]

    markdown = render_markdown(Document.from_pages([page_of([block_of(lines)])]))

    assert _blocks(markdown) == [
        ("p", "CORNER CAFE\n12 Market Street, Springfield\n2024-05-01 12:31 Till 3"),
        ("table", ""),
        ("p", "Thank you for your visit!"),
    ]
    assert _table_rows(markdown) == [
        ["Cappuccino large 2 x 3.20", "6.40"],
        ["Croissant", "2.10"],
        ["Mineral water sparkling bottle 0.5l", "1.80"],
        ["TOTAL EUR", "10.30"],
        ["Paid by card", "10.30"],
    ]


RECEIPT = [
    ("CORNER CAFE", ""),
    ("12 Market Street, Springfield", ""),
    ("Cappuccino large", "6.40"),
    ("Croissant", "2.10"),
    ("Mineral water", "1.80"),
    ("TOTAL EUR", "10.30"),
    ("Paid by card", "10.30"),
    ("Thank you for your visit!", ""),
]


def _receipt_image() -> Image.Image:
    """A till receipt as printed: labels at the left margin, amounts flush right."""
    face = samples.font(32)
    image = Image.new("L", (1100, 60 + 52 * len(RECEIPT)), "white")
    draw = ImageDraw.Draw(image)
    for i, (label, amount) in enumerate(RECEIPT):
        y = 30 + 52 * i
        draw.text((40, y), label, font=face, fill="black")
        if amount:
            draw.text((1060 - face.getlength(amount), y), amount, font=face, fill="black")
    return image


@pytest.mark.parametrize("engine", ["tesseract", "ppocr"])
def test_a_receipt_read_by_an_engine_never_makes_a_broken_table(engine: str) -> None:
    """Whatever blocks an engine finds on a real receipt, every word is rendered once, the
    header and footer stay text, and a table has two rows or more, each of which keeps its
    label and its amount together."""
    registry = EngineRegistry(Settings())
    data = samples.encode(_receipt_image(), "PNG")
    document = recognize_document(
        data, JobOptions(engine=engine), registry.get(engine), max_pages=1, max_pixels=10**8
    )
    page = document.pages[0]

    items = page_items(page)

    rendered = []
    for item in items:
        if isinstance(item, Table):
            assert len(item.rows) >= 2
            assert len({len(row) for row in item.rows}) == 1
            for row in item.rows:
                filled = [cell for cell in row if cell]
                assert len(filled) >= 2, row
                label = next(label for label, _ in RECEIPT if filled[0].startswith(label[:5]))
                assert filled[-1] == dict(RECEIPT)[label]
            rendered.extend(word for row in item.rows for cell in row for word in cell.split())
        else:
            text = " ".join(item.lines) if isinstance(item, Paragraph) else item.text
            rendered.extend(text.split())
            assert "|" not in text
    assert sorted(rendered) == sorted(word.text for word in page.words())
    if engine == "ppocr":  # its lines hold label and amount together: they make the table
        assert any(isinstance(item, Table) for item in items)
    paragraphs = [literal for kind, literal in _blocks(render_markdown(document)) if kind == "p"]
    for line in ("CORNER CAFE", "Thank you for your visit!"):
        assert any(line in paragraph for paragraph in paragraphs)
