"""The PP-OCR engine, run for real (its bundled models) on images drawn by the tests."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests import samples
from tests.conftest import make_settings
from untxt.document import BBox, Page, Word
from untxt.engines import EngineRegistry
from untxt.engines.ppocr import (
    PpOcrEngine,
    _expected_characters,
    _fold,
    _latin_only,
    _lexicon,
    cuda_available,
)
from untxt.engines.rapidocr_parts import read_marks, stop_spinning
from untxt.errors import EngineUnavailableError

FONT_SIZE = 36
MARGIN = 40
# Word boxes are cut from detection boxes grown around the ink, at the model's
# character positions: a few pixels wider or narrower than the ink.
SLACK = 12


@pytest.fixture(scope="module")
def ppocr(engines: EngineRegistry) -> PpOcrEngine:
    engine = engines.get("ppocr")
    assert isinstance(engine, PpOcrEngine)
    return engine


def _read(engine: PpOcrEngine, image: Image.Image, languages: list[str] | None = None) -> Page:
    return engine.recognize(
        image, page_number=1, languages=languages or ["eng"], mode="document", dpi=None
    )


def _words(page: Page) -> list[str]:
    return [w.text for w in page.words()]


def _lines(page: Page) -> list[str]:
    return [" ".join(w.text for w in line.words) for block in page.blocks for line in block.lines]


def _ink(lines: list[str], image: Image.Image) -> dict[str, BBox]:
    """Where ``samples.text_image`` put each word's ink, found by drawing the word alone."""
    face = samples.font(FONT_SIZE)
    line_height = int(FONT_SIZE * 1.6)
    boxes = {}
    for i, line in enumerate(lines):
        start = 0
        for word in line.split():
            start = line.index(word, start)
            ink = Image.new("L", image.size, 0)
            origin = (MARGIN + face.getlength(line[:start]), MARGIN + i * line_height)
            ImageDraw.Draw(ink).text(origin, word, font=face, fill=255)
            left, top, right, bottom = ink.getbbox() or (0, 0, 0, 0)
            boxes[word] = BBox(x0=left, y0=top, x1=right, y1=bottom)
            start += len(word)
    return boxes


def _receipt(rows: list[tuple[str, str]], width: int = 720) -> Image.Image:
    """Labels on the left and amounts set flush right, a wide gap between, as on a receipt."""
    face = samples.font(FONT_SIZE)
    line_height = int(FONT_SIZE * 1.6)
    image = Image.new("RGB", (width, 2 * MARGIN + line_height * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    for i, (label, amount) in enumerate(rows):
        y = MARGIN + i * line_height
        draw.text((MARGIN, y), label, font=face, fill="black")
        draw.text((width - MARGIN - face.getlength(amount), y), amount, font=face, fill="black")
    return image


def test_reads_printed_lines_word_by_word(ppocr: PpOcrEngine) -> None:
    """Two printed lines come back as their words, line by line."""
    lines = ["INVOICE NUMBER 4721", "Total amount 42.50"]

    page = _read(ppocr, samples.text_image(lines, size=FONT_SIZE, margin=MARGIN))

    assert _lines(page) == lines
    assert page.engine == "ppocr"
    assert page.languages == ["eng"]


def test_word_boxes_lie_in_the_image_around_their_own_words(ppocr: PpOcrEngine) -> None:
    """Each word's box, in the image's pixels, surrounds where that word was drawn."""
    lines = ["DELIVERY NOTE", "Parcel 8812 shipped"]
    image = samples.text_image(lines, size=FONT_SIZE, margin=MARGIN)
    drawn = _ink(lines, image)

    page = _read(ppocr, image)

    assert page.width == image.width and page.height == image.height
    assert sorted(_words(page)) == sorted(drawn)
    for word in page.words():
        box, ink = word.bbox, drawn[word.text]
        assert 0 <= box.x0 < box.x1 <= image.width and 0 <= box.y0 < box.y1 <= image.height
        assert box.x0 <= ink.x0 + SLACK and box.x1 >= ink.x1 - SLACK, word.text
        assert box.y0 <= ink.y0 + SLACK and box.y1 >= ink.y1 - SLACK, word.text
        # ... and not around a neighbour: its centre lies on its own word's ink.
        assert ink.x0 <= (box.x0 + box.x1) / 2 <= ink.x1, word.text
        assert ink.y0 <= (box.y0 + box.y1) / 2 <= ink.y1, word.text


def test_confidences_are_shares_and_the_page_holds_their_mean(ppocr: PpOcrEngine) -> None:
    """Confidences are on the Document model's 0-1 scale, as Tesseract's are."""
    page = _read(ppocr, samples.text_image(["Clear printed text"], size=FONT_SIZE))

    confidences = [w.confidence for w in page.words()]
    assert confidences and all(0.5 <= c <= 1 for c in confidences)
    assert page.confidence == pytest.approx(sum(confidences) / len(confidences), abs=1e-4)


def test_receipt_rows_read_label_then_amount_top_down(ppocr: PpOcrEngine) -> None:
    """Amounts far to the right stay on their label's line, rows in order."""
    rows = [("Coffee beans", "12.50"), ("Oat milk", "3.20"), ("TOTAL", "15.70")]

    page = _read(ppocr, _receipt(rows))

    assert _lines(page) == [f"{label} {amount}" for label, amount in rows]


def test_a_colon_set_alone_between_label_and_amount_is_read(ppocr: PpOcrEngine) -> None:
    """The detector boxes the label and the amount but not the lone colon: it is found."""
    face = samples.font(FONT_SIZE)
    image = Image.new("RGB", (900, 200), "white")
    draw = ImageDraw.Draw(image)
    for i, (label, amount) in enumerate([("Discount", "0.00"), ("Rounding", "0.02")]):
        y = MARGIN + i * int(FONT_SIZE * 1.6)
        draw.text((MARGIN, y), label, font=face, fill="black")
        draw.text((430, y), ":", font=face, fill="black")
        draw.text((760, y), amount, font=face, fill="black")

    page = _read(ppocr, image)

    assert _lines(page) == ["Discount : 0.00", "Rounding : 0.02"]
    colons = [w for w in page.words() if w.text == ":"]
    assert all(420 <= w.bbox.x0 < w.bbox.x1 <= 450 for w in colons)


def test_a_narrow_word_space_the_greedy_reading_drops_is_kept(ppocr: PpOcrEngine) -> None:
    """Words set 4 px apart: the model's most likely reading runs them together."""
    face = samples.font(FONT_SIZE)
    image = Image.new("RGB", (900, 120), "white")
    draw = ImageDraw.Draw(image)
    x = float(MARGIN)
    for word in ("TOTAL", "AMOUNT", "DUE"):
        draw.text((x, MARGIN), word, font=face, fill="black")
        x += face.getlength(word) + 4

    words = _words(_read(ppocr, image))

    assert "DUE" in words and "".join(words) == "TOTALAMOUNTDUE"


def test_a_blank_image_reads_as_an_empty_page(ppocr: PpOcrEngine) -> None:
    """Nothing detected is an empty page, not an error and not invented text."""
    page = _read(ppocr, Image.new("L", (300, 200), "white"))

    assert page.blocks == []
    assert page.confidence is None


def test_check_refuses_vietnamese_and_handwriting(ppocr: PpOcrEngine) -> None:
    """The bundled model drops Vietnamese diacritics and reads no handwriting: say so."""
    ppocr.check(["eng"], "document")
    with pytest.raises(EngineUnavailableError, match="vie"):
        ppocr.check(["vie"], "document")
    with pytest.raises(EngineUnavailableError, match="handwritten"):
        ppocr.check(["eng"], "handwritten")
    with pytest.raises(EngineUnavailableError, match="vie"):
        _read(ppocr, samples.text_image(["Xin chao"]), ["vie"])


def test_registry_lists_ppocr_with_its_bundled_models(engines: EngineRegistry) -> None:
    """GET /v1/engines shows ppocr as available, with rapidocr's version and model names."""
    info = {i.name: i for i in engines.describe()}["ppocr"]

    assert info.available and info.reason is None
    assert info.version is not None
    assert "rapidocr 3." in info.version and "PP-OCRv6_rec_small" in info.version
    assert "eng" in info.languages and "vie" not in info.languages
    assert "document" in info.modes and "handwritten" not in info.modes


def test_auto_picks_ppocr_for_english_and_tesseract_for_vietnamese(
    engines: EngineRegistry,
) -> None:
    """``auto`` takes the engine measured best for the languages (bench/accuracy.py)."""
    assert engines.resolve("auto", ["eng"], "document") == "ppocr"
    assert engines.resolve("auto", ["vie"], "document") == "tesseract"
    assert engines.resolve("auto", ["eng", "vie"], "document") == "tesseract"


def test_reads_with_the_network_unreachable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Only the models inside the wheel are used: nothing is downloaded, even once."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    engine = PpOcrEngine(threads=1, device="cpu")

    page = _read(engine, samples.text_image(["OFFLINE 123"], size=FONT_SIZE))

    assert _words(page) == ["OFFLINE", "123"]
    assert engine.device == "cpu"


def test_missing_rapidocr_makes_the_engine_unavailable_with_a_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without rapidocr the engine is listed as unavailable, saying what is missing."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)

    with pytest.raises(EngineUnavailableError, match="rapidocr"):
        PpOcrEngine()


@pytest.mark.skipif(cuda_available(), reason="a CUDA GPU is present here")
def test_a_rapidocr_without_the_expected_decoder_makes_the_engine_unavailable() -> None:
    """untxt reaches into rapidocr's recogniser; another rapidocr fails loudly, not silently."""
    with pytest.raises(EngineUnavailableError, match="decoder"):
        read_marks(object())


def test_cuda_without_a_gpu_is_refused_with_a_reason() -> None:
    """engine_device=cuda on a machine without a GPU does not silently run on the CPU."""
    with pytest.raises(EngineUnavailableError, match="no CUDA GPU"):
        PpOcrEngine(device="cuda")


def test_threads_default_to_the_workers_share_of_the_cores(tmp_path: Path) -> None:
    """Each worker's engine gets cores / workers threads unless engine_threads says."""
    cores = len(os.sched_getaffinity(0))

    assert make_settings(tmp_path, workers=1).threads_per_engine() == cores
    assert make_settings(tmp_path, workers=cores * 4).threads_per_engine() == 1
    assert make_settings(tmp_path, workers=4, engine_threads=3).threads_per_engine() == 3


def test_several_threads_sleep_between_steps_rather_than_spin() -> None:
    """ONNX Runtime's threads would spin after each step, costing CPU for no time saved."""
    engine = PpOcrEngine(threads=2, device="cpu")
    ocr = engine._engine()

    for part in (ocr.text_det, ocr.text_rec):
        options = part.session.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert options.intra_op_num_threads == 2


def test_a_rapidocr_without_the_expected_sessions_makes_the_engine_unavailable() -> None:
    with pytest.raises(EngineUnavailableError, match="sessions"):
        stop_spinning(object(), [Path("det.onnx"), Path("rec.onnx")], 2)


def _word(text: str) -> Word:
    return Word(text=text, bbox=BBox(x0=0, y0=0, x1=10, y1=10), confidence=0.9)


def test_east_asian_text_is_left_out_of_jobs_in_latin_script_languages() -> None:
    """The model also reads Chinese; an English job asked for none of it."""
    words = [_word("如有不便,敬请厚谅。"), _word("THANK"), _word("YOU!"), _word("RM3.77")]
    words += [_word("Café"), _word("BHD。")]

    assert [w.text for w in _latin_only(words)] == ["THANK", "YOU!", "RM3.77", "Café", "BHD"]


def test_full_width_punctuation_becomes_ascii() -> None:
    """The model's Chinese colons and brackets read as the ASCII ones English text uses."""
    assert _fold("Code\uff1a300\u3000\uff08A\uff09") == "Code:300 (A)"


def test_a_small_receipt_on_a_large_scan_is_read_with_boxes_on_the_scan(
    ppocr: PpOcrEngine,
) -> None:
    """Only the part of a large scan holding marks is read; boxes stay in the scan's pixels."""
    lines = ["CASH SALE", "TOTAL 18.40"]
    receipt = samples.text_image(lines, size=FONT_SIZE, margin=MARGIN)
    drawn = _ink(lines, receipt)
    scan = Image.new("L", (2400, 3300), 250)
    origin = (1500, 2000)
    scan.paste(receipt, origin)

    page = _read(ppocr, scan)

    assert _lines(page) == lines
    assert (page.width, page.height) == scan.size
    for word in page.words():
        ink = drawn[word.text]
        centre = ((word.bbox.x0 + word.bbox.x1) / 2, (word.bbox.y0 + word.bbox.y1) / 2)
        assert origin[0] + ink.x0 <= centre[0] <= origin[0] + ink.x1, word.text
        assert origin[1] + ink.y0 <= centre[1] <= origin[1] + ink.y1, word.text


def test_english_jobs_expect_ascii_other_latin_jobs_accents_but_no_chinese() -> None:
    english = _expected_characters(["eng"])
    french = _expected_characters(["eng", "fra"])
    assert english is not None and french is not None
    assert english("A") and not english("\u00c1") and not english("\u00d7")
    assert french("\u00c1") and french("A") and not french("\u4e2d")
    assert _expected_characters(["eng", "chi_sim"]) is None  # every character alike


def test_english_jobs_join_letter_spaced_words_by_the_system_word_list() -> None:
    """``make`` installs Debian's wamerican; other languages have no list to go by."""
    english = _lexicon(["eng"])
    assert english is not None
    assert {"invoice", "returnable", "adjustments"} <= english
    assert _lexicon(["eng", "fra"]) is None
