"""Job options: defaults, validation at submit time, and the resolution presets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from untxt.options import DEFAULT_FORMATS, RESOLUTION_DPI, JobOptions


def test_defaults_let_untxt_choose_the_engine_for_english_documents() -> None:
    """An empty options object is a complete, sensible job."""
    options = JobOptions()

    assert options.engine == "auto"
    assert options.languages == ["eng"]
    assert options.mode == "document"
    assert options.resolution == "base"
    assert options.dpi == 300
    assert options.outputs == list(DEFAULT_FORMATS)
    assert options.pdf_mode == "auto"
    assert options.preprocess.orientation and options.preprocess.deskew
    assert not options.no_cache
    assert 0 <= options.priority <= 10


def test_unknown_option_is_refused_not_ignored() -> None:
    """A misspelt key is an error, so a client never silently gets defaults."""
    with pytest.raises(ValidationError, match="langauges"):
        JobOptions.model_validate({"langauges": ["vie"]})


def test_repeated_languages_are_kept_once_in_the_order_given() -> None:
    """The first mention wins: order is the engine's preference."""
    options = JobOptions(languages=["vie", "eng", "vie", "eng"])

    assert options.languages == ["vie", "eng"]


@pytest.mark.parametrize("code", ["", "../eng", "eng vie", "eng+vie", "a" * 33, "eng;rm"])
def test_malformed_language_code_is_refused(code: str) -> None:
    """Codes are short identifiers; nothing that could become a path or a second language."""
    with pytest.raises(ValidationError, match="not a language code"):
        JobOptions(languages=[code])


def test_language_codes_with_underscores_are_accepted() -> None:
    """Tesseract names scripts and variants with underscores (chi_sim)."""
    assert JobOptions(languages=["chi_sim", "eng"]).languages == ["chi_sim", "eng"]


@pytest.mark.parametrize("languages", [[], [f"l{i}" for i in range(9)]])
def test_language_list_must_hold_one_to_eight_codes(languages: list[str]) -> None:
    """No languages means nothing to read with; very many would load too many models."""
    with pytest.raises(ValidationError):
        JobOptions(languages=languages)


def test_repeated_outputs_are_kept_once() -> None:
    """Asking for a format twice stores it once."""
    assert JobOptions(outputs=["text", "json", "text"]).outputs == ["text", "json"]


@pytest.mark.parametrize(
    "values",
    [
        {"outputs": []},
        {"outputs": ["docx"]},
        {"mode": "poetry"},
        {"resolution": "huge"},
        {"priority": -1},
        {"priority": 11},
    ],
)
def test_values_outside_the_documented_choices_are_refused(values: dict[str, object]) -> None:
    """Formats, modes, resolutions and priorities are closed sets or ranges."""
    with pytest.raises(ValidationError):
        JobOptions.model_validate(values)


def test_every_documented_mode_is_accepted() -> None:
    """The option accepts all four modes; engines decide which they support."""
    for mode in ("document", "handwritten", "general", "figure"):
        assert JobOptions.model_validate({"mode": mode}).mode == mode


def test_higher_resolution_presets_render_at_higher_dpi() -> None:
    """tiny < small < base < large < gundam, each a DPI a scanner would use."""
    presets = ["tiny", "small", "base", "large", "gundam"]
    dpis = [JobOptions.model_validate({"resolution": r}).dpi for r in presets]

    assert dpis == sorted(dpis)
    assert len(set(dpis)) == len(dpis)
    assert set(presets) == set(RESOLUTION_DPI)
    assert dpis[0] >= 72 and dpis[-1] <= 1200
