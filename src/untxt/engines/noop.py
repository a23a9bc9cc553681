"""An internal engine that reads nothing, for queue tests and benchmarks only.

It returns pages with no words: it never invents text. It is not registered, so
no client can select it; tests and benchmarks pass it to a worker directly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from PIL import Image

from untxt.document import Page
from untxt.engines.base import OcrEngine


class NoopEngine(OcrEngine):
    """Returns empty pages after an optional delay, to exercise the queue without OCR cost."""

    name: ClassVar[str] = "noop"
    modes: ClassVar[frozenset[str]] = frozenset({"document", "general", "figure", "handwritten"})

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[int] = []

    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        languages: Sequence[str],
        mode: str,
        dpi: int | None,
    ) -> Page:
        self.calls.append(page_number)
        if self.delay:
            time.sleep(self.delay)
        return Page(
            number=page_number,
            width=image.width,
            height=image.height,
            dpi=dpi,
            engine=self.name,
            languages=list(languages),
            seconds=self.delay,
        )

    def languages(self) -> list[str]:
        return ["eng"]

    def version(self) -> str:
        return "0"

    def check(self, languages: Sequence[str], mode: str) -> None:
        return None
