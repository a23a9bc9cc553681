"""Plain text: blocks separated by a blank line, pages by a form feed."""

from __future__ import annotations

from untxt.document import Document

PAGE_SEPARATOR = "\f"


def render_text(document: Document) -> str:
    """The recognised text in reading order."""
    return PAGE_SEPARATOR.join(page.text + "\n" if page.blocks else "" for page in document.pages)
