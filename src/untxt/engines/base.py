"""The engine interface: one class per OCR engine, one instance per worker process.

An engine turns one page image into a :class:`untxt.document.Page`. Engines are
created once per process (loading models is slow) and reused for every page;
they need not be thread-safe. Optional abilities are methods with safe defaults.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from PIL import Image
from pydantic import BaseModel

from untxt.document import Page
from untxt.errors import EngineUnavailableError


class EngineInfo(BaseModel):
    """What ``GET /v1/engines`` says about one engine."""

    name: str
    available: bool
    version: str | None = None
    languages: list[str] = []
    modes: list[str] = []
    reason: str | None = None


class OcrEngine(ABC):
    """Base class of OCR engines.

    Subclasses set ``name`` and ``modes`` and implement :meth:`recognize`,
    :meth:`languages` and :meth:`version`.
    """

    name: ClassVar[str]
    #: Job ``mode`` values this engine can honour; others are refused at submit.
    modes: ClassVar[frozenset[str]]

    @abstractmethod
    def recognize(
        self,
        image: Image.Image,
        *,
        page_number: int,
        languages: Sequence[str],
        mode: str,
        dpi: int | None,
    ) -> Page:
        """Recognise one page image and return it as a Page.

        ``image`` is in mode ``L`` or ``RGB``; ``dpi`` is its resolution when known.
        Raise :class:`EngineUnavailableError` for a language or mode the engine lacks,
        and :class:`untxt.errors.EngineError` when recognition itself fails. Never
        return text the engine did not read.
        """

    @abstractmethod
    def languages(self) -> list[str]:
        """Language codes this engine has installed."""

    @abstractmethod
    def version(self) -> str:
        """Engine version, for reports and ``GET /v1/engines``."""

    def check(self, languages: Sequence[str], mode: str) -> None:
        """Raise :class:`EngineUnavailableError` unless the engine can run these options."""
        if mode not in self.modes:
            raise EngineUnavailableError(
                f"engine {self.name!r} does not support mode {mode!r} "
                f"(supported: {', '.join(sorted(self.modes))})"
            )
        installed = set(self.languages())
        missing = [code for code in languages if code not in installed]
        if missing:
            raise EngineUnavailableError(
                f"engine {self.name!r} has no language data for {', '.join(missing)} "
                f"(installed: {', '.join(sorted(installed)) or 'none'})"
            )

    def info(self) -> EngineInfo:
        """Describe this engine for ``GET /v1/engines``."""
        return EngineInfo(
            name=self.name,
            available=True,
            version=self.version(),
            languages=sorted(self.languages()),
            modes=sorted(self.modes),
        )

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release native resources; the engine is not used afterwards."""
