"""Renderers: pure functions from a Document to one output format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from untxt.document import Document
from untxt.formats.hocr import render_hocr
from untxt.formats.json import render_json
from untxt.formats.markdown import render_markdown
from untxt.formats.text import render_text

__all__ = ["FORMATS", "Format", "render"]


@dataclass(frozen=True)
class Format:
    """One output format: how to render it and how to serve it."""

    name: str
    extension: str
    media_type: str
    render: Callable[[Document], str]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "json", "application/json", render_json),
        Format("text", "txt", "text/plain; charset=utf-8", render_text),
        Format("markdown", "md", "text/markdown; charset=utf-8", render_markdown),
        Format("hocr", "hocr", "application/xhtml+xml; charset=utf-8", render_hocr),
    )
}


def render(name: str, document: Document) -> str:
    """Render ``document`` in the format called ``name``."""
    return FORMATS[name].render(document)
