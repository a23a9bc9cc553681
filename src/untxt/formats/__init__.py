"""Renderers: pure functions from a Document (and, for PDF, its page images) to one format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from untxt.document import Document
from untxt.formats.alto import render_alto
from untxt.formats.hocr import render_hocr
from untxt.formats.html import render_html
from untxt.formats.json import render_json
from untxt.formats.markdown import render_markdown
from untxt.formats.pdf import PageImage, render_pdf
from untxt.formats.text import render_text

__all__ = ["FORMATS", "Format", "PageImage", "render"]


@dataclass(frozen=True)
class Format:
    """One output format: how to render it and how to serve it.

    ``render`` takes the document and its page images, one per page in page
    order; only formats with ``needs_images`` look at them, so the others may be
    given none.
    """

    name: str
    extension: str
    media_type: str
    render: Callable[[Document, Sequence[PageImage]], bytes]
    needs_images: bool = False
    binary: bool = False


def _utf8(renderer: Callable[[Document], str]) -> Callable[[Document, Sequence[PageImage]], bytes]:
    def render_utf8(document: Document, images: Sequence[PageImage] = ()) -> bytes:
        return renderer(document).encode()

    return render_utf8


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "json", "application/json", _utf8(render_json)),
        Format("text", "txt", "text/plain; charset=utf-8", _utf8(render_text)),
        Format("markdown", "md", "text/markdown; charset=utf-8", _utf8(render_markdown)),
        Format("hocr", "hocr", "application/xhtml+xml; charset=utf-8", _utf8(render_hocr)),
        Format("alto", "xml", "application/xml; charset=utf-8", _utf8(render_alto)),
        Format("html", "html", "text/html; charset=utf-8", _utf8(render_html)),
        Format("pdf", "pdf", "application/pdf", render_pdf, needs_images=True, binary=True),
    )
}


def render(name: str, document: Document, images: Sequence[PageImage] = ()) -> bytes:
    """Render ``document`` in the format called ``name``; ``images`` are its page images."""
    return FORMATS[name].render(document, images)
