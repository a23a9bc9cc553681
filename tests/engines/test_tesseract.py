"""The Tesseract engine, run for real on images drawn by the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests import samples
from untxt.document import BBox, Page
from untxt.engines import EngineRegistry
from untxt.engines.tesseract import TesseractEngine
from untxt.errors import EngineUnavailableError
from untxt.ocr_models import find_tessdata

FONT_SIZE = 40
MARGIN = 40
# Faint antialiased edge pixels may fall either side of Tesseract's binarisation threshold.
TOLERANCE = 2


def _drawn_word_boxes(lines: list[str]) -> dict[str, BBox]:
    """Where ``samples.text_image`` put each word's ink, found by drawing the word alone."""
    face = samples.font(FONT_SIZE)
    size = samples.text_image(lines, size=FONT_SIZE, margin=MARGIN).size
    line_height = int(FONT_SIZE * 1.6)
    boxes = {}
    for i, line in enumerate(lines):
        start = 0
        for word in line.split():
            start = line.index(word, start)
            ink = Image.new("L", size, 0)
            origin = (MARGIN + face.getlength(line[:start]), MARGIN + i * line_height)
            ImageDraw.Draw(ink).text(origin, word, font=face, fill=255)
            left, top, right, bottom = ink.getbbox() or (0, 0, 0, 0)
            boxes[word] = BBox(x0=left, y0=top, x1=right, y1=bottom)
            start += len(word)
    return boxes


def _recognize(
    engine: TesseractEngine,
    image: Image.Image,
    languages: list[str],
    *,
    page_number: int = 1,
    mode: str = "document",
    dpi: int | None = None,
) -> Page:
    return engine.recognize(image, page_number=page_number, languages=languages, mode=mode, dpi=dpi)


@pytest.fixture(scope="module")
def tesseract(engines: EngineRegistry) -> TesseractEngine:
    engine = engines.get("tesseract")
    assert isinstance(engine, TesseractEngine)
    return engine


@pytest.fixture(scope="module")
def invoice_page(tesseract: TesseractEngine) -> tuple[Page, list[str]]:
    """One recognition of a two-line invoice snippet, shared by the assertions below."""
    lines = ["INVOICE 12345", "TOTAL 678"]
    image = samples.text_image(lines, size=FONT_SIZE, margin=MARGIN)
    return _recognize(tesseract, image, ["eng"], page_number=3, dpi=300), lines


def test_clear_text_is_read_word_for_word(invoice_page: tuple[Page, list[str]]) -> None:
    """Large, clean text comes back with every word, in reading order."""
    page, lines = invoice_page

    assert [w.text for w in page.words()] == " ".join(lines).split()
    assert [line.text for block in page.blocks for line in block.lines] == lines


def test_word_boxes_lie_where_the_words_were_drawn(invoice_page: tuple[Page, list[str]]) -> None:
    """Each recognised word's box matches the drawn word's ink box, in image pixels."""
    page, lines = invoice_page
    drawn = _drawn_word_boxes(lines)

    for word in page.words():
        expected = drawn[word.text]
        for edge in ("x0", "y0", "x1", "y1"):
            assert abs(getattr(word.bbox, edge) - getattr(expected, edge)) <= TOLERANCE, (
                word.text,
                edge,
                word.bbox,
                expected,
            )


def test_line_and_block_boxes_enclose_their_words(invoice_page: tuple[Page, list[str]]) -> None:
    """Boxes nest: a line's box is the union of its words, a block's of its lines."""
    page, _ = invoice_page

    for block in page.blocks:
        assert block.bbox == BBox.union(line.bbox for line in block.lines)
        for line in block.lines:
            assert line.bbox == BBox.union(word.bbox for word in line.words)


def test_confidences_are_fractions_and_page_confidence_is_their_mean(
    invoice_page: tuple[Page, list[str]],
) -> None:
    """Word confidences are in (0, 1]; clear print is read with high confidence."""
    page, _ = invoice_page
    confidences = [w.confidence for w in page.words()]

    assert all(0 < c <= 1 for c in confidences)
    assert min(confidences) > 0.5
    assert page.confidence == pytest.approx(sum(confidences) / len(confidences), abs=1e-4)


def test_page_records_size_number_dpi_engine_and_languages(
    invoice_page: tuple[Page, list[str]],
) -> None:
    """The page describes the image it came from and how it was read."""
    page, lines = invoice_page
    image = samples.text_image(lines, size=FONT_SIZE, margin=MARGIN)

    assert (page.width, page.height) == image.size
    assert (page.number, page.dpi) == (3, 300)
    assert (page.engine, page.languages) == ("tesseract", ["eng"])
    assert page.seconds > 0


def test_vietnamese_keeps_its_diacritics(tesseract: TesseractEngine) -> None:
    """With the vie model, accented letters are read as themselves, not stripped."""
    image = samples.text_image(["Tiếng Việt có dấu"], size=FONT_SIZE, mode="RGB")

    page = _recognize(tesseract, image, ["vie"])

    assert page.text == "Tiếng Việt có dấu"
    assert page.languages == ["vie"]


def test_separate_paragraphs_become_separate_blocks(tesseract: TesseractEngine) -> None:
    """Text separated by a wide gap is two blocks, each with its own lines."""
    image = samples.text_image(["HELLO WORLD", "", "", "SECOND BLOCK"], size=FONT_SIZE)

    page = _recognize(tesseract, image, ["eng"])

    assert [block.text for block in page.blocks] == ["HELLO WORLD", "SECOND BLOCK"]
    assert page.blocks[0].bbox.y1 < page.blocks[1].bbox.y0


def test_blank_page_gives_a_page_without_words(tesseract: TesseractEngine) -> None:
    """Nothing to read is a valid result: no blocks, no confidence, no error."""
    page = _recognize(tesseract, Image.new("L", (300, 200), "white"), ["eng"], page_number=2)

    assert page.blocks == []
    assert page.confidence is None
    assert (page.number, page.width, page.height) == (2, 300, 200)


def test_unknown_language_is_refused_naming_the_language(tesseract: TesseractEngine) -> None:
    """A missing model is an EngineUnavailableError that says which code is missing."""
    image = samples.text_image(["HELLO"])

    with pytest.raises(EngineUnavailableError, match="klingon") as caught:
        _recognize(tesseract, image, ["eng", "klingon"])

    assert "installed: eng" in str(caught.value)
    assert caught.value.permanent


def test_handwritten_mode_is_refused(tesseract: TesseractEngine) -> None:
    """Tesseract cannot read handwriting; the mode is refused, not run badly."""
    with pytest.raises(EngineUnavailableError, match="handwritten"):
        tesseract.check(["eng"], "handwritten")
    with pytest.raises(EngineUnavailableError, match="handwritten"):
        _recognize(tesseract, samples.text_image(["HELLO"]), ["eng"], mode="handwritten")


def test_installed_languages_exclude_non_language_models(tesseract: TesseractEngine) -> None:
    """eng and vie are languages; osd (orientation detection) is not."""
    languages = tesseract.languages()

    assert {"eng", "vie"} <= set(languages)
    assert "osd" not in languages
    assert languages == sorted(languages)


def test_version_is_a_tesseract_5_release(tesseract: TesseractEngine) -> None:
    """The version string is the bare release number."""
    major = tesseract.version().split(".")[0]

    assert major.isdigit() and int(major) >= 5


def test_configured_tessdata_folder_is_preferred(
    tmp_path: Path, tesseract: TesseractEngine
) -> None:
    """A folder given in settings wins over the system one, and decides the languages."""
    system = find_tessdata()
    assert system is not None
    for name in ("eng", "osd"):
        (tmp_path / f"{name}.traineddata").symlink_to(system / f"{name}.traineddata")

    assert find_tessdata(tmp_path) == tmp_path
    engine = TesseractEngine(tmp_path)
    try:
        assert engine.languages() == ["eng"]
        with pytest.raises(EngineUnavailableError, match="vie"):
            engine.check(["vie"], "document")
    finally:
        engine.close()


def test_configured_folder_without_models_falls_back_to_the_system_data(tmp_path: Path) -> None:
    """An empty or wrong folder is skipped rather than leaving the engine with no languages."""
    (tmp_path / "README").write_text("no models here")

    found = find_tessdata(tmp_path)

    assert found is not None and found != tmp_path
    assert any(found.glob("eng.traineddata"))


def test_tessdata_prefix_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TESSDATA_PREFIX, Tesseract's own variable, is looked at before system folders."""
    system = find_tessdata()
    assert system is not None
    (tmp_path / "eng.traineddata").symlink_to(system / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", os.fspath(tmp_path))

    assert find_tessdata() == tmp_path
