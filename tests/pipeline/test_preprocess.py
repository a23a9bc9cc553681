"""Preprocessing: pages turned upright, straightened, enlarged, cleaned, read by real Tesseract,
with every box mapped back onto the page as loaded."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests import samples
from untxt.document import BBox, Page
from untxt.engines import EngineRegistry
from untxt.engines.base import OcrEngine
from untxt.ocr_models import find_tessdata
from untxt.options import JobOptions, Preprocess
from untxt.pipeline import recognize_page
from untxt.pipeline.preprocess import (
    IDENTITY,
    compose,
    invert,
    map_box,
    prepare,
    shear_columns,
    shear_map,
    straighten_map,
    turn_map,
)

PNG = "image/png"
PLENTY = 10**8
PARAGRAPH = [
    "Thank you for your order. The goods listed below",
    "were shipped today by courier and should reach",
    "you within three working days. Please check the",
    "delivery against this note and tell us of any",
    "damage or missing items within seven days.",
]
TEXT = " ".join(PARAGRAPH)
OFF = Preprocess(orientation=False, deskew=False, upscale=False, clean=False)


@pytest.fixture(scope="module")
def tesseract(engines: EngineRegistry) -> OcrEngine:
    return engines.get("tesseract")


def _read(image: Image.Image, engine: OcrEngine, preprocess: Preprocess | None = None) -> Page:
    options = JobOptions(preprocess=preprocess or Preprocess())
    return recognize_page(samples.encode(image, "PNG"), PNG, 1, options, engine, max_pixels=PLENTY)


def _words(page: Page) -> str:
    return " ".join(word.text for word in page.words())


def _assert_boxes_on_ink(page: Page, image: Image.Image, ink: int = 128) -> None:
    """Boxes are in the loaded image's pixels: each word box holds ink (pixels darker than
    ``ink``), and the ink of the image lies in word boxes (within a few pixels)."""
    assert (page.width, page.height) == image.size
    dark = np.asarray(image.convert("L")) < ink
    covered = np.zeros_like(dark)
    for word in page.words():
        box = word.bbox
        assert 0 <= box.x0 < box.x1 <= page.width and 0 <= box.y0 < box.y1 <= page.height, box
        assert dark[box.y0 : box.y1, box.x0 : box.x1].any(), f"no ink under {word.text!r} {box}"
        covered[max(box.y0 - 4, 0) : box.y1 + 4, max(box.x0 - 4, 0) : box.x1 + 4] = True
    assert (dark & ~covered).sum() <= 0.01 * dark.sum()


# -- geometry -----------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_quarter_turn_maps_boxes_exactly_and_back(rotation: int) -> None:
    """A box turned with its image lands on the same pixels; the inverse brings it back."""
    image = Image.new("L", (40, 30), 255)
    image.paste(0, (5, 7, 12, 10))
    box = BBox(x0=5, y0=7, x1=12, y1=10)
    turns = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
    turned = image.transpose(turns.get(rotation, Image.Transpose.ROTATE_90))
    forward = turn_map(rotation, *image.size)

    moved = map_box(box, forward, *turned.size)

    assert Image.Image.getbbox(turned.point(lambda v: 255 - v)) == (
        moved.x0,
        moved.y0,
        moved.x1,
        moved.y1,
    )
    assert map_box(moved, invert(forward), *image.size) == box


def test_straightening_and_enlarging_map_back_to_a_box_holding_the_original() -> None:
    """Mapped forward and back, a box grows only by the rotation's rounding, and stays inside."""
    forward, size = straighten_map(3.5, 2.0, 400, 300)
    box = BBox(x0=100, y0=100, x1=180, y1=120)

    there = map_box(box, forward, *size)
    back = map_box(there, invert(forward), 400, 300)

    assert back.x0 <= box.x0 and back.y0 <= box.y0 and back.x1 >= box.x1 and back.y1 >= box.y1
    assert back.x1 - back.x0 <= 90 and back.y1 - back.y0 <= 40
    assert compose(forward, invert(forward)) == pytest.approx(IDENTITY)


def test_levelling_by_shear_moves_columns_whole_and_its_map_says_where() -> None:
    """Each column moves down by whole pixels, its pixels unchanged, and a dark pixel
    mapped forward lands on the same dark pixel of the result."""
    image = Image.new("L", (300, 80), 255)
    image.paste(0, (10, 40, 290, 44))  # a rule leaning 2 degrees, drawn as steps
    image = image.rotate(2, fillcolor=255)
    forward, size, drops = shear_map(-2.0, *image.size)

    levelled = shear_columns(image, drops, size)

    assert size == levelled.size == (300, 80 + int(drops.max()))
    pixels, moved = np.asarray(image), np.asarray(levelled)
    for x in (0, 150, 299):
        assert (moved[drops[x] : drops[x] + 80, x] == pixels[:, x]).all()
    rows = [int(np.flatnonzero(moved[:, x] < 128).mean()) for x in range(20, 280, 20)]
    assert max(rows) - min(rows) <= 1  # the rule is level
    for y, x in zip(*np.nonzero(pixels < 128), strict=True):
        there = map_box(BBox(x0=x, y0=y, x1=x + 1, y1=y + 1), forward, *size)
        assert moved[there.y0 : there.y1, there.x0 : there.x1].min() < 128


# -- upright, turned, skewed ---------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        PARAGRAPH,
        ["Tiếng Việt có dấu là một ngôn ngữ đẹp", "Hợp đồng mua bán hàng hóa số 123"] * 2,
        [f"{i:04d}  {i * 37 % 1000:>4}.{i % 100:02d}  2024-{1 + i % 12:02d}-17" for i in range(6)],
        ["INVOICE 2024-0117 TOTAL DUE 1,234.56", "PAYMENT TERMS NET THIRTY DAYS"] * 2,
    ],
    ids=["english", "vietnamese", "numbers", "capitals"],
)
def test_an_upright_well_resolved_page_goes_to_the_engine_untouched(lines: list[str]) -> None:
    image = samples.text_image(lines, size=32)

    prepared = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY)

    assert prepared.preprocessing.model_dump() == {
        "rotation": 0,
        "skew": 0.0,
        "scale": 1.0,
        "cleaned": False,
    }
    assert prepared.image is image


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_turned_page_is_turned_upright_and_its_boxes_stay_on_the_loaded_page(
    tesseract: OcrEngine, turned: int
) -> None:
    """PIL turns counterclockwise; turning back clockwise by as much rights the page."""
    image = samples.text_image(PARAGRAPH, size=28).rotate(turned, expand=True)

    page = _read(image, tesseract)

    assert page.preprocessing.rotation == turned
    assert _words(page) == TEXT
    _assert_boxes_on_ink(page, image)


LABEL = ["Invoice 2291 from Acme", "Total due 118.40 euros", "Paid by card on Monday"]


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_turned_label_too_short_for_osd_is_turned_upright(
    tesseract: OcrEngine, turned: int
) -> None:
    """Three small lines give OSD too little to be sure of; their ascent is plain."""
    image = samples.text_image(LABEL, size=20).rotate(turned, expand=True)

    page = _read(image, tesseract)

    assert page.preprocessing.rotation == turned
    assert _words(page) == " ".join(LABEL)


@pytest.mark.parametrize("line", ["CACHED RESULT 8812", "Hello world", "Total 12.00"])
def test_a_single_upright_line_is_never_turned(line: str) -> None:
    """One line's letters make columns as sharp as its row; its shape says it runs across."""
    image = samples.text_image([line], size=28)

    prepared = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY)

    assert prepared.preprocessing.rotation == 0


def test_a_turned_page_is_left_turned_with_orientation_off(tesseract: OcrEngine) -> None:
    image = samples.text_image(PARAGRAPH, size=28).rotate(180)

    page = _read(image, tesseract, Preprocess(orientation=False))

    assert page.preprocessing.rotation == 0
    assert _words(page) != TEXT


@pytest.mark.parametrize("skew", [4.0, -6.0])
def test_a_skewed_page_is_straightened_and_its_boxes_stay_on_the_loaded_page(
    tesseract: OcrEngine, skew: float
) -> None:
    image = samples.text_image(PARAGRAPH, size=28).rotate(
        skew, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC
    )

    page = _read(image, tesseract)
    unstraightened = _read(image, tesseract, Preprocess(deskew=False))

    assert page.preprocessing.skew == pytest.approx(-skew, abs=0.2)
    assert _words(page) == TEXT
    assert _words(unstraightened) != TEXT
    _assert_boxes_on_ink(page, image)


def test_a_slightly_skewed_page_is_levelled_without_resampling(tesseract: OcrEngine) -> None:
    """Up to a few degrees, for an engine that allows it (Tesseract does), the columns
    are moved whole: the engine gets the page's own pixel values (and white), never a
    blend of neighbours. Otherwise the page is turned."""
    image = (
        samples.text_image(PARAGRAPH, size=28)
        .rotate(2.5, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
        .point(lambda v: 255 if v > 224 else v // 32 * 32)  # eight greys and white
    )

    sheared = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY, shear=True)
    turned = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY)
    page = _read(image, tesseract)

    assert sheared.preprocessing.skew == turned.preprocessing.skew == pytest.approx(-2.5, abs=0.2)
    assert sheared.image.width == image.width < turned.image.width
    assert set(np.unique(sheared.image)) <= set(np.unique(image)) | {255}
    assert not set(np.unique(turned.image)) <= set(np.unique(image)) | {255}
    assert _words(page) == TEXT
    _assert_boxes_on_ink(page, image)


def test_a_page_turned_and_skewed_is_righted_by_both_steps(tesseract: OcrEngine) -> None:
    image = (
        samples.text_image(PARAGRAPH, size=28)
        .rotate(3, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
        .rotate(90, expand=True)
    )

    page = _read(image, tesseract)

    assert page.preprocessing.rotation == 90
    assert page.preprocessing.skew == pytest.approx(-3, abs=0.2)
    assert _words(page) == TEXT
    _assert_boxes_on_ink(page, image)


def test_without_osd_data_pages_on_their_side_are_still_righted(tmp_path: Path) -> None:
    """A Tesseract install without osd.traineddata: the direction classifier's vote on
    the page turned a quarter rights it all the same."""
    system = find_tessdata()
    assert system is not None
    (tmp_path / "eng.traineddata").symlink_to(system / "eng.traineddata")
    image = samples.text_image(PARAGRAPH, size=28).rotate(90, expand=True)

    prepared = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY, tessdata=tmp_path)

    assert prepared.preprocessing.rotation == 90


@pytest.mark.parametrize("turned", [0, 180])
def test_a_small_text_on_a_large_scan_is_read_from_its_part_with_boxes_on_the_scan(
    tesseract: OcrEngine, turned: int
) -> None:
    """Only the part that holds the marks is turned and read; the boxes come back in the
    pixels of the whole scan."""
    scan = Image.new("L", (3600, 4800), 255)
    scan.paste(samples.text_image(PARAGRAPH, size=28).rotate(turned), (1700, 2900))

    page = _read(scan, tesseract)

    assert page.preprocessing.rotation == turned
    assert _words(page) == TEXT
    _assert_boxes_on_ink(page, scan)


# -- upscale, clean, off -------------------------------------------------------------------


def _low_resolution(lines: list[str], size: int) -> Image.Image:
    """Text ``size`` pixels high as a cheap camera or fax gives it: blurred, noisy, JPEG."""
    sharp = samples.text_image(lines, size=size * 4, margin=size * 4)
    small = sharp.resize((sharp.width // 4, sharp.height // 4), Image.Resampling.BOX)
    pixels = np.asarray(small.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float32)
    noisy = pixels * 0.75 + 40 + np.random.default_rng(0).normal(0, 8, pixels.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=50)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


# Words a reader of 10-pixel text cannot mistake for others (unlike "2L" and "21").
RECEIPT = ["MILK 2.49", "BREAD 1.99", "APPLES 3.20", "COFFEE 12.90", "TOTAL 20.58"]


def _words_read(page: Page, lines: list[str]) -> int:
    """How many of the words of ``lines`` the page holds, each counted as often as written."""
    expected = Counter(" ".join(lines).split())
    return sum((expected & Counter(word.text for word in page.words())).values())


def test_small_text_is_enlarged_and_read(tesseract: OcrEngine) -> None:
    image = _low_resolution(RECEIPT, 10)
    total = len(" ".join(RECEIPT).split())

    page = _read(image, tesseract)
    as_is = _read(image, tesseract, Preprocess(upscale=False))

    assert page.preprocessing.scale >= 2
    # Enlarged, the receipt reads (all but at most one word exactly) in its own lines;
    # as loaded, clearly worse.
    assert _words_read(page, RECEIPT) >= total - 1
    assert len(page.text.splitlines()) == len(RECEIPT)
    assert _words_read(as_is, RECEIPT) < _words_read(page, RECEIPT) - 1
    # Blurred at 10 pixels high, thin digits are grey (on paper about 230), not black.
    _assert_boxes_on_ink(page, image, ink=170)


def test_pdf_pages_are_rendered_at_the_resolution_asked_and_not_enlarged(
    tesseract: OcrEngine,
) -> None:
    data = samples.pdf([["INVOICE 12345 TOTAL 678"]], dpi=200)
    options = JobOptions(resolution="tiny")

    page = recognize_page(data, "application/pdf", 1, options, tesseract, max_pixels=PLENTY)

    assert page.preprocessing.scale == 1.0
    assert page.dpi == 100


def _in_shadow(image: Image.Image) -> Image.Image:
    """``image`` photographed with its left side in shadow."""
    pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    light = 0.35 + 0.65 * np.clip(np.arange(image.width) / image.width * 1.2, 0, 1) ** 0.7
    return Image.fromarray(np.clip(pixels * light[None, :], 0, 255).astype(np.uint8))


def test_clean_evens_out_a_shadow_so_the_text_is_read(tesseract: OcrEngine) -> None:
    image = _in_shadow(samples.text_image(PARAGRAPH, size=28))

    cleaned = _read(image, tesseract, Preprocess(clean=True))
    as_is = _read(image, tesseract)

    assert cleaned.preprocessing.cleaned is True
    assert _words(cleaned) == TEXT
    assert _words(as_is) != TEXT
    assert as_is.preprocessing.cleaned is False


def test_with_every_step_off_nothing_is_done(tesseract: OcrEngine) -> None:
    image = _low_resolution(RECEIPT, 10).rotate(180)

    prepared = prepare(image, OFF, upscale=True, max_pixels=PLENTY)
    page = _read(image, tesseract, OFF)

    assert prepared.image is image
    assert page.preprocessing.model_dump() == {
        "rotation": 0,
        "skew": 0.0,
        "scale": 1.0,
        "cleaned": False,
    }


@pytest.mark.parametrize(
    "image",
    [Image.new("L", (300, 200), 255), Image.new("RGB", (300, 200), (20, 30, 40))],
    ids=["blank", "dark"],
)
def test_a_page_without_text_passes_through(image: Image.Image) -> None:
    prepared = prepare(image, Preprocess(clean=False), upscale=True, max_pixels=PLENTY)

    assert prepared.image is image
    assert prepared.preprocessing.rotation == 0


def test_colour_pages_are_corrected_in_colour(tesseract: OcrEngine) -> None:
    image = samples.text_image(PARAGRAPH, size=28, mode="RGB").rotate(
        -5, expand=True, fillcolor="white", resample=Image.Resampling.BICUBIC
    )

    prepared = prepare(image, Preprocess(), upscale=True, max_pixels=PLENTY)
    page = _read(image, tesseract)

    assert prepared.image.mode == "RGB"
    assert prepared.preprocessing.skew == pytest.approx(5, abs=0.2)
    assert _words(page) == TEXT


def test_enlarging_stays_within_the_pixel_limit() -> None:
    image = _low_resolution(RECEIPT, 10)

    prepared = prepare(image, Preprocess(), upscale=True, max_pixels=image.width * image.height * 5)

    assert prepared.preprocessing.scale == 2.0
    assert prepared.image.width * prepared.image.height <= image.width * image.height * 5
