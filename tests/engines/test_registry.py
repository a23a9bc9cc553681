"""The engine registry: which engines exist, one instance each, and what GET /v1/engines says."""

from __future__ import annotations

from pathlib import Path

import pytest

from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.engines.tesseract import TesseractEngine
from untxt.errors import EngineUnavailableError


def test_describe_lists_tesseract_as_available_with_english_and_vietnamese(
    engines: EngineRegistry,
) -> None:
    """The engines endpoint shows tesseract, its version, languages and modes."""
    infos = {info.name: info for info in engines.describe()}

    tesseract = infos["tesseract"]
    assert tesseract.available
    assert tesseract.reason is None
    assert {"eng", "vie"} <= set(tesseract.languages)
    assert tesseract.version and tesseract.version[0].isdigit()
    assert "document" in tesseract.modes
    assert "handwritten" not in tesseract.modes


def test_describe_covers_every_registered_name(engines: EngineRegistry) -> None:
    """Every public engine appears once, available or not."""
    assert [info.name for info in engines.describe()] == EngineRegistry.names()
    assert "tesseract" in EngineRegistry.names()


def test_internal_noop_engine_is_not_selectable(engines: EngineRegistry) -> None:
    """The test-only engine that reads nothing can never be chosen by a client."""
    assert "noop" not in EngineRegistry.names()
    with pytest.raises(EngineUnavailableError):
        engines.get("noop")


def test_unknown_engine_is_refused_listing_the_known_ones(engines: EngineRegistry) -> None:
    """Asking for an engine that does not exist names it and what does exist."""
    with pytest.raises(EngineUnavailableError, match="'abbyy'") as caught:
        engines.get("abbyy")

    assert "tesseract" in str(caught.value)
    assert caught.value.permanent


def test_each_engine_is_created_once_and_reused(engines: EngineRegistry) -> None:
    """Models load once per process: repeated lookups return the same instance."""
    first = engines.get("tesseract")

    assert isinstance(first, TesseractEngine)
    assert engines.get("tesseract") is first


def test_close_releases_engines_and_a_later_get_creates_a_fresh_one(tmp_path: Path) -> None:
    """After close, the registry starts over instead of handing out a closed engine."""
    registry = EngineRegistry(Settings(data_dir=tmp_path))
    first = registry.get("tesseract")

    registry.close()
    second = registry.get("tesseract")

    try:
        assert second is not first
        assert second.info().available
    finally:
        registry.close()
