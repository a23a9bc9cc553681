"""The engine interface: one class per OCR engine, one instance per worker process.

An engine turns one page image into a :class:`untxt.document.Page`. Engines are
created once per process (loading models is slow) and reused for every page;
they need not be thread-safe. Optional abilities are methods with safe defaults.

Engines are plugins. The registry (:mod:`untxt.engines`) finds each one through
an entry point in the ``untxt.engines`` group whose name is the engine's
:attr:`OcrEngine.name` and whose object is the engine class, and creates it with
:meth:`OcrEngine.from_settings`. A minimal third-party engine::

    # mypackage/engine.py
    class MyEngine(OcrEngine):
        name = "myengine"
        modes = frozenset({"document"})

        @classmethod
        def from_settings(cls, settings: Settings) -> MyEngine:
            return cls(threads=settings.threads_per_engine())

        def recognize(self, image, *, page_number, languages, mode, dpi) -> Page: ...
        def languages(self) -> list[str]: return ["eng"]
        def version(self) -> str: return "1.0"

    # mypackage's pyproject.toml
    [project.entry-points."untxt.engines"]
    myengine = "mypackage.engine:MyEngine"

Construction must be cheap and must not load models (the API process creates
engines only to check job options and to list them); load models on the first
:meth:`OcrEngine.recognize`. Raise :class:`EngineUnavailableError` from the
constructor when the engine cannot work here (a missing library or model); the
registry then lists it as unavailable, with that message as the reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

from PIL import Image
from pydantic import BaseModel

from untxt.document import Block, Page, mean_confidence
from untxt.errors import EngineUnavailableError

if TYPE_CHECKING:
    from untxt.config import Settings


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
    #: Whether a slightly skewed page may be levelled for it by shifting whole columns
    #: of pixels (quick, no resampling, glyphs left leaning a little) rather than by
    #: turning it with interpolation (see :mod:`untxt.pipeline.preprocess`).
    levels_by_shear: ClassVar[bool] = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Create the engine from untxt's settings; the registry calls this once per process.

        The default calls the constructor with no arguments; engines with knobs
        (a data folder, a thread count) override it to pick theirs from ``settings``.
        """
        return cls()

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

    def auto_rank(self, languages: Sequence[str], mode: str) -> float:
        """How well this engine reads ``languages`` in ``mode``, for the engine ``auto``.

        Called only after :meth:`check` passed; ``auto`` picks the engine ranking
        highest. Tesseract ranks 10 for everything it has data for; an engine
        that measurably reads some languages better ranks above it for those.
        The default, 0, makes an engine a last resort.
        """
        return 0.0

    def page(
        self,
        image: Image.Image,
        blocks: list[Block],
        *,
        page_number: int,
        languages: Sequence[str],
        dpi: int | None,
        seconds: float,
    ) -> Page:
        """The Page this engine read from ``image``: its blocks, mean word confidence and time."""
        return Page(
            number=page_number,
            width=image.width,
            height=image.height,
            dpi=dpi,
            blocks=blocks,
            confidence=mean_confidence(
                w.confidence for b in blocks for ln in b.lines for w in ln.words
            ),
            engine=self.name,
            languages=list(languages),
            seconds=round(seconds, 4),
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
