"""OCR engines by name: what is installed, and one instance per process of each.

Engines are plugins: each is an :class:`OcrEngine` subclass named by an entry
point in the ``untxt.engines`` group, untxt's own included (see ``pyproject.toml``).
A third-party package adds an engine by declaring one in its own metadata::

    [project.entry-points."untxt.engines"]
    myengine = "mypackage.engine:MyEngine"

An engine whose entry point cannot be loaded, or whose constructor raises
:class:`EngineUnavailableError`, is still listed by ``GET /v1/engines``, as
unavailable and with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points

from untxt.config import Settings
from untxt.engines.base import EngineInfo, OcrEngine
from untxt.errors import EngineUnavailableError
from untxt.ocr_models import use_tessdata

__all__ = ["AUTO", "ENTRY_POINT_GROUP", "EngineInfo", "EngineRegistry", "OcrEngine"]

#: The engine name that lets untxt choose.
AUTO = "auto"
#: The entry point group engines register in.
ENTRY_POINT_GROUP = "untxt.engines"


def _entry_points() -> dict[str, EntryPoint]:
    # A name declared twice (two installed copies) resolves to the first one found.
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)
    return found


class EngineRegistry:
    """Creates each engine once, on first use, and remembers engines that failed to load."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # Pages are turned upright with Tesseract's OSD whichever engine reads them: it
        # looks where this process's engines look.
        use_tessdata(settings.tessdata_dir)
        self._engines: dict[str, OcrEngine] = {}
        self._failures: dict[str, EngineUnavailableError] = {}
        # Reading every installed distribution's entry points takes milliseconds: once
        # per registry, not once per submit.
        self._points: dict[str, EntryPoint] | None = None
        self._resolved: dict[tuple[tuple[str, ...], str], str] = {}

    def _registered(self) -> dict[str, EntryPoint]:
        if self._points is None:
            self._points = _entry_points()
        return self._points

    @staticmethod
    def names() -> list[str]:
        """Every registered engine name, installed or not, sorted."""
        return sorted(_entry_points())

    def get(self, name: str) -> OcrEngine:
        """Return the engine called ``name``, creating it on first use."""
        if name in self._engines:
            return self._engines[name]
        if name in self._failures:
            raise self._failures[name]
        point = self._registered().get(name)
        if point is None:
            raise EngineUnavailableError(
                f"unknown engine {name!r} (known: {', '.join(sorted(self._registered()))})"
            )
        try:
            engine = self._create(point)
        except EngineUnavailableError as exc:
            self._failures[name] = exc
            raise
        self._engines[name] = engine
        return engine

    def _create(self, point: EntryPoint) -> OcrEngine:
        try:
            factory = point.load()
        except Exception as exc:  # a plugin's import may fail in any way; report, don't crash
            raise EngineUnavailableError(
                f"engine {point.name!r} cannot be loaded from {point.value!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not (isinstance(factory, type) and issubclass(factory, OcrEngine)):
            raise EngineUnavailableError(
                f"engine {point.name!r}: {point.value!r} is not an OcrEngine subclass"
            )
        if factory.name != point.name:
            raise EngineUnavailableError(
                f"engine {point.name!r}: {point.value!r} calls itself {factory.name!r}"
            )
        return factory.from_settings(self._settings)

    def resolve(self, name: str, languages: Sequence[str], mode: str) -> str:
        """The engine a job runs on: ``name`` itself, or for ``auto`` the installed engine
        that can run the languages and mode and ranks highest for them (see
        :meth:`OcrEngine.auto_rank`); ties go to the first name in alphabetical order."""
        if name != AUTO:
            return name
        key = (tuple(languages), mode)
        if key in self._resolved:
            return self._resolved[key]
        best: tuple[float, str] | None = None
        for candidate in sorted(self._registered()):
            try:
                engine = self.get(candidate)
                engine.check(languages, mode)
            except EngineUnavailableError:
                continue
            rank = engine.auto_rank(languages, mode)
            if best is None or rank > best[0]:
                best = (rank, candidate)
        if best is None:
            raise EngineUnavailableError(
                f"no installed engine reads {', '.join(languages)} in mode {mode!r}; "
                "see GET /v1/engines"
            )
        self._resolved[key] = best[1]
        return best[1]

    def describe(self) -> list[EngineInfo]:
        """Every registered engine, available or not, with the reason when not."""
        infos = []
        for name in sorted(self._registered()):
            try:
                infos.append(self.get(name).info())
            except EngineUnavailableError as exc:
                infos.append(EngineInfo(name=name, available=False, reason=str(exc)))
        return infos

    def close(self) -> None:
        for engine in self._engines.values():
            engine.close()
        self._engines.clear()
        self._failures.clear()
        self._resolved.clear()
