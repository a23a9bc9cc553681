"""OCR engines by name: what is installed, and one instance per process of each."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from untxt.config import Settings
from untxt.engines.base import EngineInfo, OcrEngine
from untxt.engines.tesseract import TesseractEngine
from untxt.errors import EngineUnavailableError

__all__ = ["EngineInfo", "EngineRegistry", "OcrEngine"]

#: The engine name that lets untxt choose.
AUTO = "auto"
# Which engine ``auto`` tries first.
_PREFERENCE = ("tesseract",)
# Public engines: a client may name these in job options.
_FACTORIES: dict[str, Callable[[Settings], OcrEngine]] = {
    "tesseract": lambda settings: TesseractEngine(settings.tessdata_dir),
}


class EngineRegistry:
    """Creates each engine once, on first use, and remembers engines that failed to load."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engines: dict[str, OcrEngine] = {}
        self._failures: dict[str, EngineUnavailableError] = {}

    @staticmethod
    def names() -> list[str]:
        return sorted(_FACTORIES)

    def get(self, name: str) -> OcrEngine:
        """Return the engine called ``name``, creating it on first use."""
        if name in self._engines:
            return self._engines[name]
        if name in self._failures:
            raise self._failures[name]
        factory = _FACTORIES.get(name)
        if factory is None:
            raise EngineUnavailableError(
                f"unknown engine {name!r} (known: {', '.join(self.names())})"
            )
        try:
            engine = factory(self._settings)
        except EngineUnavailableError as exc:
            self._failures[name] = exc
            raise
        self._engines[name] = engine
        return engine

    def resolve(self, name: str, languages: Sequence[str], mode: str) -> str:
        """The engine a job runs on: ``name`` itself, or for ``auto`` the first installed
        engine, in order of preference, that has every language and the mode."""
        if name != AUTO:
            return name
        for candidate in _PREFERENCE:
            try:
                self.get(candidate).check(languages, mode)
            except EngineUnavailableError:
                continue
            return candidate
        raise EngineUnavailableError(
            f"no installed engine reads {', '.join(languages)} in mode {mode!r}; "
            "see GET /v1/engines"
        )

    def describe(self) -> list[EngineInfo]:
        """Every public engine, available or not, with the reason when not."""
        infos = []
        for name in self.names():
            try:
                infos.append(self.get(name).info())
            except EngineUnavailableError as exc:
                infos.append(EngineInfo(name=name, available=False, reason=str(exc)))
        return infos

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()
