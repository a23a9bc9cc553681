"""Markdown: a paragraph per block, headings and tables where the layout shows them."""

from __future__ import annotations

import re

from untxt.document import Document
from untxt.formats.layout import Heading, Item, Paragraph, Table, page_items

# Characters that would otherwise start markdown syntax at the beginning of a line.
# An ordered-list marker gets its delimiter escaped (1\.): a backslash before a
# digit is no escape in CommonMark and would show.
_LINE_START = re.compile(r"^(\s*\d*)((?<=\d)[.)]|(?<!\d)[#>+\-*=|])", re.MULTILINE)
_INLINE = re.compile(r"([\\`*_\[\]<>&])")
# In a heading a # anywhere could close it; in a table cell a | ends the cell.
_INLINE_HEADING = re.compile(r"([\\`*_\[\]<>&#])")
_INLINE_CELL = re.compile(r"([\\`*_\[\]<>&|])")


def escape_markdown(text: str) -> str:
    """Escape text so it renders literally rather than as markdown syntax."""
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), _INLINE.sub(r"\\\1", text))


def _escape_inline(text: str, pattern: re.Pattern[str]) -> str:
    """Escape text that markdown reads as inline content only (a heading's, a cell's)."""
    return pattern.sub(r"\\\1", text)


def _item(item: Item) -> str:
    if isinstance(item, Heading):
        return "#" * item.level + " " + _escape_inline(item.text, _INLINE_HEADING)
    if isinstance(item, Paragraph):
        return "\n".join(escape_markdown(line) for line in item.lines)
    return _table(item)


def _table(table: Table) -> str:
    rows = [
        "| " + " | ".join(_escape_inline(cell, _INLINE_CELL) for cell in row) + " |"
        for row in table.rows
    ]
    # The first row is the header: a markdown table has to have one.
    rule = "|" + "|".join("---" for _ in table.rows[0]) + "|"
    return "\n".join([rows[0], rule, *rows[1:]])


def render_markdown(document: Document) -> str:
    """The recognised text as markdown: paragraphs, headings and tables, page by page."""
    parts: list[str] = []
    for page in document.pages:
        parts.append(f"<!-- page {page.number} -->")
        parts.extend(_item(item) for item in page_items(page))
    return "\n\n".join(parts) + "\n"
