"""Markdown: one paragraph per block, a comment marking each page."""

from __future__ import annotations

import re

from untxt.document import Document

# Characters that would otherwise start markdown syntax at the beginning of a line.
# An ordered-list marker gets its delimiter escaped (1\.): a backslash before a
# digit is no escape in CommonMark and would show.
_LINE_START = re.compile(r"^(\s*\d*)((?<=\d)[.)]|(?<!\d)[#>+\-*=|])", re.MULTILINE)
_INLINE = re.compile(r"([\\`*_\[\]<>&])")


def escape_markdown(text: str) -> str:
    """Escape text so it renders literally rather than as markdown syntax."""
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), _INLINE.sub(r"\\\1", text))


def render_markdown(document: Document) -> str:
    """The recognised text as markdown paragraphs."""
    parts: list[str] = []
    for page in document.pages:
        parts.append(f"<!-- page {page.number} -->")
        parts.extend(
            "\n".join(escape_markdown(line.text) for line in block.lines) for block in page.blocks
        )
    return "\n\n".join(parts) + "\n"
