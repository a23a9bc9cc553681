"""Plain-text renderer: reading order, blank lines between blocks, form feeds between pages."""

from __future__ import annotations

from tests.formats.documents import make_document
from untxt.document import Document
from untxt.formats.text import render_text


def test_words_join_with_spaces_and_lines_with_newlines() -> None:
    """Words of a line are joined by one space, lines of a block by a newline."""
    document = make_document([[["INVOICE 12345", "Due 2024-05-01"]]])

    assert render_text(document) == "INVOICE 12345\nDue 2024-05-01\n"


def test_blocks_are_separated_by_one_blank_line() -> None:
    """Each block is a paragraph: a blank line sits between consecutive blocks."""
    document = make_document([[["first block"], ["second block", "still second"], ["third"]]])

    paragraphs = render_text(document).rstrip("\n").split("\n\n")

    assert paragraphs == ["first block", "second block\nstill second", "third"]


def test_pages_are_separated_by_form_feed() -> None:
    """Splitting on form feed gives back each page's text, in page order."""
    document = make_document([[["page one"]], [["page two"]], [["page three"]]])

    pages = render_text(document).split("\f")

    assert pages == ["page one\n", "page two\n", "page three\n"]


def test_blank_page_keeps_its_place_between_form_feeds() -> None:
    """A page with no words still counts, so page N is always the N-th form-feed segment."""
    document = make_document([[["before"]], [], [["after"]]])

    pages = render_text(document).split("\f")

    assert pages == ["before\n", "", "after\n"]


def test_pages_render_in_page_number_order() -> None:
    """Pages assembled out of order come out sorted by their number."""
    ordered = make_document([[["one"]], [["two"]]])
    shuffled = Document.from_pages(list(reversed(ordered.pages)))

    assert render_text(shuffled) == "one\n\ftwo\n"


def test_document_without_pages_renders_empty() -> None:
    """No pages, no text."""
    assert render_text(Document.from_pages([])) == ""


def test_text_keeps_unicode_unchanged() -> None:
    """Vietnamese diacritics and symbols pass through untouched."""
    document = make_document([[["Tiếng Việt có dấu", "€ 5 & <ok>"]]])

    assert render_text(document) == "Tiếng Việt có dấu\n€ 5 & <ok>\n"
