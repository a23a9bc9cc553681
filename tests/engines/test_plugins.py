"""Engines as plugins: a package installed beside untxt adds an engine by entry point."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests import samples
from untxt.config import Settings
from untxt.engines import AUTO, ENTRY_POINT_GROUP, EngineRegistry

# A third-party engine: real OCR (Tesseract under another name) that ranks above every
# engine for English, so that ``auto`` must prefer it there and only there.
_PLUGIN = """
    from untxt.engines.tesseract import TesseractEngine

    class ReaderEngine(TesseractEngine):
        name = "reader"

        def auto_rank(self, languages, mode):
            return 1000.0 if list(languages) == ["eng"] else -1.0

    class NotAnEngine:
        name = "notanengine"

    class Misnamed(TesseractEngine):
        name = "something-else"
"""


def _install(root: Path, entry_points: dict[str, str], module: str = _PLUGIN) -> None:
    """Lay out an installed distribution in ``root``: its module and its metadata."""
    (root / "thirdparty_engines.py").write_text(textwrap.dedent(module))
    info = root / "thirdparty_engines-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: thirdparty-engines\nVersion: 1.0\n"
    )
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineRegistry:
    plugins = tmp_path / "site"
    plugins.mkdir()
    _install(
        plugins,
        {
            "reader": "thirdparty_engines:ReaderEngine",
            "notanengine": "thirdparty_engines:NotAnEngine",
            "misnamed": "thirdparty_engines:Misnamed",
            "broken": "thirdparty_engines_missing:Engine",
        },
    )
    monkeypatch.syspath_prepend(str(plugins))
    return EngineRegistry(Settings(data_dir=tmp_path / "data"))


def test_installed_plugin_engine_is_listed_and_reads_pages(registry: EngineRegistry) -> None:
    """An engine declared by another package's entry point is listed and does real OCR."""
    infos = {info.name: info for info in registry.describe()}

    assert infos["reader"].available
    assert "eng" in infos["reader"].languages
    page = registry.get("reader").recognize(
        samples.text_image(["PLUGIN ENGINE"], size=40),
        page_number=1,
        languages=["eng"],
        mode="document",
        dpi=None,
    )
    assert "PLUGIN ENGINE" in page.text


def test_broken_plugins_are_listed_as_unavailable_with_the_reason(
    registry: EngineRegistry,
) -> None:
    """A plugin that cannot load, is no engine, or misnames itself is refused, not fatal."""
    infos = {info.name: info for info in registry.describe()}

    assert not infos["broken"].available
    assert "thirdparty_engines_missing" in (infos["broken"].reason or "")
    assert not infos["notanengine"].available
    assert "not an OcrEngine" in (infos["notanengine"].reason or "")
    assert not infos["misnamed"].available
    assert "something-else" in (infos["misnamed"].reason or "")
    assert infos["tesseract"].available  # untxt's own engines are unaffected


def test_auto_picks_the_highest_ranking_engine_for_the_languages(
    registry: EngineRegistry,
) -> None:
    """``auto`` follows each engine's own ranking for the job's languages."""
    assert registry.resolve(AUTO, ["eng"], "document") == "reader"
    assert registry.resolve(AUTO, ["vie"], "document") != "reader"
    assert registry.resolve("tesseract", ["eng"], "document") == "tesseract"
