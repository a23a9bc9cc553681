"""Markdown renderer: page comments, a paragraph per block, text that renders literally."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from tests.formats.documents import make_document
from untxt.formats.markdown import escape_markdown, render_markdown

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
