"""Recognise one page, or a whole document in this process (the CLI's path)."""

from __future__ import annotations

import time
from collections.abc import Callable

from untxt.document import Document, Page
from untxt.engines.base import OcrEngine
from untxt.errors import UntxtError
from untxt.options import JobOptions
from untxt.pipeline.inputs import PDF, inspect_input
from untxt.pipeline.pages import load_page
from untxt.pipeline.pdftext import read_text_layer
from untxt.pipeline.preprocess import prepare


def recognize_page(
    data: bytes,
    media_type: str,
    number: int,
    options: JobOptions,
    engine: OcrEngine,
    *,
    max_pixels: int,
) -> Page:
    """Read page ``number`` (1-based) of ``data``.

    A PDF page with a text layer is read from it (unless ``pdf_mode`` is ``force``;
    ``skip_text`` returns it without blocks). Any other page is loaded, corrected as
    ``options.preprocess`` asks, and recognised by ``engine``; its boxes are mapped
    back to the page as loaded.
    """
    if media_type == PDF and options.pdf_mode != "force":
        page = read_text_layer(
            data,
            number - 1,
            number=number,
            dpi=options.dpi,
            keep_text=options.pdf_mode == "auto",
        )
        if page is not None:
            return page
    image, dpi = load_page(data, media_type, number - 1, dpi=options.dpi, max_pixels=max_pixels)
    started = time.perf_counter()
    # PDF pages are rendered at the resolution asked for: a larger preset, not an
    # enlarged rendering, is the way to more pixels.
    prepared = prepare(
        image,
        options.preprocess,
        upscale=media_type != PDF,
        shear=engine.levels_by_shear,
        max_pixels=max_pixels,
    )
    prepare_seconds = time.perf_counter() - started
    scale = prepared.preprocessing.scale
    page = engine.recognize(
        prepared.image,
        page_number=number,
        languages=options.languages,
        mode=options.mode,
        dpi=round(dpi * scale) if dpi else None,
    )
    return prepared.restore(page).model_copy(
        update={"dpi": dpi, "seconds": round(page.seconds + prepare_seconds, 4)}
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
                data,
                info.media_type,
                number,
                options,
                engine,
                max_pixels=max_pixels,
            )
        except UntxtError as exc:
            if info.pages == 1:
                raise
            raise type(exc)(f"page {number}: {exc}") from exc
        pages.append(page)
        if on_page:
            on_page(number, info.pages)
    return Document.from_pages(pages, source=source)
