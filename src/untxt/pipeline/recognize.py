"""Recognise one page, or a whole document in this process (the CLI's path)."""

from __future__ import annotations

from collections.abc import Callable

from untxt.document import Document, Page
from untxt.engines.base import OcrEngine
from untxt.errors import UntxtError
from untxt.options import JobOptions
from untxt.pipeline.inputs import inspect_input
from untxt.pipeline.pages import load_page


def recognize_page(
    data: bytes,
    media_type: str,
    number: int,
    options: JobOptions,
    engine: OcrEngine,
    *,
    max_pixels: int,
) -> Page:
    """Load page ``number`` (1-based) of ``data`` and run ``engine`` on it."""
    image, dpi = load_page(data, media_type, number - 1, dpi=options.dpi, max_pixels=max_pixels)
    return engine.recognize(
        image, page_number=number, languages=options.languages, mode=options.mode, dpi=dpi
    )


def recognize_document(
    data: bytes,
    options: JobOptions,
    engine: OcrEngine,
    *,
    max_pages: int,
    max_pixels: int,
    source: str | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> Document:
    """Recognise every page of ``data`` here and now.

    ``on_page(done, total)`` is called once before the first page and after each.
    """
    engine.check(options.languages, options.mode)
    info = inspect_input(data, max_pages=max_pages, max_pixels=max_pixels)
    pages = []
    if on_page:
        on_page(0, info.pages)
    for number in range(1, info.pages + 1):
        try:
            page = recognize_page(
                data, info.media_type, number, options, engine, max_pixels=max_pixels
            )
        except UntxtError as exc:
            if info.pages == 1:
                raise
            raise type(exc)(f"page {number}: {exc}") from exc
        pages.append(page)
        if on_page:
            on_page(number, info.pages)
    return Document.from_pages(pages, source=source)
