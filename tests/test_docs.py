"""The documentation stays in step with the code it describes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.formats import FORMATS
from untxt.options import RESOLUTION_DPI, JobOptions, Mode

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_configuration_table_lists_every_setting() -> None:
    documented = set(re.findall(r"^\| `(UNTXT_[A-Z0-9_]+)` \|", README, re.MULTILINE))

    assert documented == {f"UNTXT_{name.upper()}" for name in Settings.model_fields}


def test_readme_job_options_table_lists_every_option() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \| .* \| .* \|$", README, re.MULTILINE))

    assert set(JobOptions.model_fields) <= documented


def test_readme_states_the_resolution_presets_as_configured() -> None:
    for preset, dpi in RESOLUTION_DPI.items():
        assert f"`{preset}` {dpi}" in README


def test_readme_links_point_at_files_that_exist() -> None:
    for target in re.findall(r"\]\(([^)#:]+)\)", README):
        assert (ROOT / target).exists(), target


OCR_DOC = (ROOT / "docs" / "ocr.md").read_text()


def test_ocr_doc_covers_every_option_mode_resolution_and_format() -> None:
    """docs/ocr.md documents every job option, each mode, each preset's DPI and every
    output format, with a section of its own for each format."""
    for option in JobOptions.model_fields:
        assert f"| `{option}` |" in OCR_DOC, option
    for mode in get_args(Mode):
        assert f"| `{mode}` |" in OCR_DOC, mode
    for preset, dpi in RESOLUTION_DPI.items():
        assert f"| `{preset}` | {dpi} |" in OCR_DOC, preset
    for name in FORMATS:
        assert f"### `{name}`" in OCR_DOC, name
    for engine in EngineRegistry.names():
        assert f"### `{engine}`" in OCR_DOC, engine
