"""Searchable PDF: page images under an invisible text layer, read back with poppler and PDFium."""

from __future__ import annotations

import io
import math
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageDraw

from tests import samples
from tests.formats.documents import make_document, make_page
from untxt.document import BBox, Block, Document, Line, Page, Preprocessing, Word
from untxt.engines.tesseract import TesseractEngine
from untxt.formats.pdf import encode_jpeg, page_dpi, render_pdf
from untxt.options import JobOptions
from untxt.pipeline import recognize_document
from untxt.pipeline.outputs import page_images

POINTS_PER_INCH = 72
XHTML = "{http://www.w3.org/1999/xhtml}"
# pdftotext prints coordinates to 6 places, but PDF numbers are written to 2.
TOLERANCE_PT = 0.1


@dataclass(frozen=True)
class PdfWord:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _blank(page: Page) -> Image.Image:
    return Image.new("L", (page.width, page.height), "white")


def _render(document: Document, tmp_path: Path, images: list[Image.Image] | None = None) -> Path:
    path = tmp_path / "out.pdf"
    path.write_bytes(render_pdf(document, images or [_blank(page) for page in document.pages]))
    return path


def _pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages_text(path: Path) -> list[str]:
    """pdftotext's text of each page, whitespace collapsed to single spaces."""
    return [" ".join(page.split()) for page in _pdftotext(path).split("\f")[:-1]]


def _pdf_words(path: Path) -> list[list[PdfWord]]:
    """Words and boxes (points, origin top left) as ``pdftotext -bbox-layout`` finds them."""
    root = ET.fromstring(_pdftotext(path, "-bbox-layout"))
    return [
        [
            PdfWord(
                word.text or "",
                *(float(word.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax")),
            )
            for word in page.iter(f"{XHTML}word")
        ]
        for page in root.iter(f"{XHTML}page")
    ]


def _page_text(page: Page) -> str:
    return " ".join(word.text for word in page.words())


def test_pdftotext_reads_every_page_s_words_in_order(tmp_path: Path) -> None:
    """Latin and Vietnamese text, over several blocks, lines and pages, comes back in order."""
    document = make_document(
        [
            [["INVOICE 12345", "Due 2024-05-01"], ["TOTAL 99.50 EUR"]],
            [["Tiếng Việt có dấu", "Hà Nội, Đà Nẵng"], ["Thành phố Hồ Chí Minh"]],
        ]
    )

    pages = _pages_text(_render(document, tmp_path))

    assert pages == [_page_text(page) for page in document.pages]


def test_pdfium_reads_the_same_text(tmp_path: Path) -> None:
    """A second reader, PDFium (Chrome's), extracts the text layer as well."""
    document = make_document([[["Tiếng Việt có dấu"], ["second block"]]])
    pdf = pypdfium2.PdfDocument(_render(document, tmp_path).read_bytes())
    try:
        text = pdf[0].get_textpage().get_text_bounded()
    finally:
        pdf.close()

    assert " ".join(text.split()) == _page_text(document.pages[0])


def test_combining_marks_are_kept_with_their_letters(tmp_path: Path) -> None:
    """Text in decomposed form (e + combining marks) comes out composed, one glyph per letter."""
    decomposed = "Tie\u0302\u0301ng Vie\u0323\u0302t"
    document = make_document([[[decomposed]]])

    assert _pages_text(_render(document, tmp_path)) == ["Tiếng Việt"]


def test_pages_are_as_large_as_their_images_at_their_resolution(tmp_path: Path) -> None:
    """Page size in points is pixels x 72 / dpi; without a dpi, A4-shaped pixels give A4."""
    document = Document.from_pages(
        [
            make_page(1, [["first"]], width=2550, height=3300, dpi=300),
            make_page(2, [["second"]], width=1700, height=2200, dpi=200),
            make_page(3, [["third"]], width=1240, height=1754, dpi=None),  # A4 at 150 DPI
            make_page(4, [["fourth"]], width=900, height=500, dpi=None),  # no paper size
        ]
    )
    pdf = pypdfium2.PdfDocument(_render(document, tmp_path).read_bytes())
    try:
        sizes = [pdf[i].get_size() for i in range(len(pdf))]
    finally:
        pdf.close()

    assert len(sizes) == 4
    assert sizes[0] == pytest.approx((612, 792), abs=0.01)  # US letter
    assert sizes[1] == pytest.approx((612, 792), abs=0.01)
    assert sizes[2] == pytest.approx((595.3, 842), abs=0.5)  # A4
    assert sizes[3] == pytest.approx((900 * 72 / 300, 500 * 72 / 300), abs=0.01)


def test_resolution_of_pages_without_one() -> None:
    """A page without a DPI gets one from a paper size its shape matches, else 300."""
    letter_at_200 = make_page(1, [], width=1700, height=2200, dpi=None)
    landscape_a4_at_300 = make_page(1, [], width=3508, height=2480, dpi=None)
    photo = make_page(1, [], width=4032, height=3024, dpi=None)

    assert page_dpi(letter_at_200) == pytest.approx(200)
    assert page_dpi(landscape_a4_at_300) == pytest.approx(300, abs=0.1)
    assert page_dpi(photo) == 300


def test_each_word_sits_on_its_box(tmp_path: Path) -> None:
    """pdftotext's word boxes are the Document's pixel boxes scaled to points.

    Horizontally each word spans exactly its box; vertically it spans its line,
    since all the words of a line share one baseline and size.
    """
    document = make_document([[["INVOICE 12345 Tiếng", "a second line"], ["TOTAL 99"]]])
    page = document.pages[0]
    scale = POINTS_PER_INCH / (page.dpi or 300)

    (found,) = _pdf_words(_render(document, tmp_path))

    expected = [
        (word, line) for block in page.blocks for line in block.lines for word in line.words
    ]
    assert [w.text for w in found] == [word.text for word, _ in expected]
    for pdf_word, (word, line) in zip(found, expected, strict=True):
        assert pdf_word.x0 == pytest.approx(word.bbox.x0 * scale, abs=TOLERANCE_PT)
        assert pdf_word.x1 == pytest.approx(word.bbox.x1 * scale, abs=TOLERANCE_PT)
        assert pdf_word.y0 == pytest.approx(line.bbox.y0 * scale, abs=TOLERANCE_PT)
        assert pdf_word.y1 == pytest.approx(line.bbox.y1 * scale, abs=TOLERANCE_PT)


def test_tesseract_reading_in_vietnamese_lies_on_its_words(tmp_path: Path) -> None:
    """A real Tesseract reading (vie+eng) of a drawn image, made into a PDF as a job makes it:
    pdftotext gives the recognised text, accents included, and each word's box.

    Horizontally each word spans its recognised box; vertically it lies within its
    line's box and covers most of its own, so that selecting it selects that word.
    """
    data = samples.png(["Tiếng Việt có dấu", "Hà Nội và Đà Nẵng", "INVOICE 4711 TOTAL"])
    options = JobOptions(languages=["vie", "eng"])
    document = recognize_document(data, options, TesseractEngine(), max_pages=1, max_pixels=10**8)
    page = document.pages[0]
    images = page_images(data, "image/png", [1], dpi=300, max_pixels=10**8)
    path = tmp_path / "out.pdf"
    path.write_bytes(render_pdf(document, images))
    scale = POINTS_PER_INCH / page_dpi(page)

    (found,) = _pdf_words(path)

    # The reading itself is right, diacritics and all; the PDF gives back exactly it.
    assert {"Tiếng", "Việt", "Nội", "Đà", "Nẵng"} <= {w.text for w in page.words()}
    assert _pages_text(path) == [_page_text(page)]
    expected = [(w, line) for block in page.blocks for line in block.lines for w in line.words]
    assert [w.text for w in found] == [word.text for word, _ in expected]
    for pdf_word, (word, line) in zip(found, expected, strict=True):
        box = word.bbox
        assert pdf_word.x0 == pytest.approx(box.x0 * scale, abs=TOLERANCE_PT)
        assert pdf_word.x1 == pytest.approx(box.x1 * scale, abs=TOLERANCE_PT)
        assert pdf_word.y0 >= line.bbox.y0 * scale - TOLERANCE_PT
        assert pdf_word.y1 <= line.bbox.y1 * scale + TOLERANCE_PT
        covered = min(pdf_word.y1, box.y1 * scale) - max(pdf_word.y0, box.y0 * scale)
        assert covered >= 0.5 * (box.y1 - box.y0) * scale


def test_words_of_one_line_share_the_line_s_baseline(tmp_path: Path) -> None:
    """Words of different heights in a line (descenders, capitals) are drawn on one baseline."""
    words = [
        Word(text="Tall", bbox=BBox(x0=100, y0=100, x1=180, y1=140), confidence=0.9),
        Word(text="gap", bbox=BBox(x0=200, y0=110, x1=260, y1=150), confidence=0.9),
        Word(text="low", bbox=BBox(x0=280, y0=110, x1=340, y1=140), confidence=0.9),
    ]
    line = Line(bbox=BBox.union(w.bbox for w in words), words=words)
    page = _page([Block(bbox=line.bbox, lines=[line])], width=600, height=300)

    (found,) = _pdf_words(_render(Document.from_pages([page]), tmp_path))

    assert [w.text for w in found] == ["Tall", "gap", "low"]
    assert len({(w.y0, w.y1) for w in found}) == 1


def test_words_whose_boxes_nearly_touch_read_as_separate_words(tmp_path: Path) -> None:
    """Tight word boxes (a text detector's) a few pixels apart still give spaces to an
    extractor that goes by geometry alone (``pdftotext -raw``); each word starts on its box
    and ends at most a fifth of its length short of the box's end."""
    words, x = [], 100
    for text in ("Street,", "Springfield", "Tel", "555"):
        box = BBox(x0=x, y0=100, x1=x + 25 * len(text), y1=143)
        words.append(Word(text=text, bbox=box, confidence=0.9))
        x = box.x1 + 3
    line = Line(bbox=BBox.union(w.bbox for w in words), words=words)
    page = _page([Block(bbox=line.bbox, lines=[line])], width=1000, height=300)
    scale = POINTS_PER_INCH / 300

    path = _render(Document.from_pages([page]), tmp_path)

    assert _pdftotext(path, "-raw").split() == ["Street,", "Springfield", "Tel", "555"]
    assert _pages_text(path) == ["Street, Springfield Tel 555"]
    (found,) = _pdf_words(path)
    for pdf_word, word in zip(found, words, strict=True):
        box = word.bbox
        assert pdf_word.x0 == pytest.approx(box.x0 * scale, abs=TOLERANCE_PT)
        assert box.x1 * scale - 0.2 * (box.x1 - box.x0) * scale <= pdf_word.x1
        assert pdf_word.x1 <= box.x1 * scale + TOLERANCE_PT


def test_words_whose_boxes_have_no_area_are_still_written(tmp_path: Path) -> None:
    """A box with no height or no width (a dot, a box clipped at the edge) is drawn a pixel
    high or wide, not refused."""
    flat = Word(text="flat", bbox=BBox(x0=10, y0=50, x1=60, y1=50), confidence=0.5)
    dot = Word(text="dot", bbox=BBox(x0=10, y0=80, x1=10, y1=80), confidence=0.5)
    lines = [Line(bbox=word.bbox, words=[word]) for word in (flat, dot)]
    block = Block(bbox=BBox.union(w.bbox for w in (flat, dot)), lines=lines)
    page = _page([block], width=200, height=100)

    assert _pages_text(_render(Document.from_pages([page]), tmp_path)) == ["flat dot"]


def test_text_is_invisible_and_the_image_is_drawn(tmp_path: Path) -> None:
    """Rasterised, the page shows the image (a black square) and nothing of the text layer."""
    document = make_document([[["INVISIBLE TEXT LAYER"] * 5]])
    page = document.pages[0]
    image = _blank(page)
    ImageDraw.Draw(image).rectangle((600, 1000, 799, 1199), fill="black")
    path = _render(document, tmp_path, [image])

    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-png", str(path), str(tmp_path / "page")], check=True
    )
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as raster:
        shown = raster.convert("L")
    k = shown.width / page.width
    square = (round(600 * k) + 1, round(1000 * k) + 1, round(800 * k) - 1, round(1200 * k) - 1)
    assert shown.crop(square).getextrema() == (0, 0)
    assert shown.crop((0, 0, shown.width, square[1] - 3)).getextrema()[0] >= 250
    assert "INVISIBLE TEXT LAYER" in _pdftotext(path)


def test_jpeg_page_images_are_embedded_as_they_are(tmp_path: Path) -> None:
    """JPEG bytes go into the PDF unchanged (no second lossy encoding); decoded images are
    encoded once, in their own colour space."""
    document = make_document([[["grey"]], [["colour"]]])
    grey = encode_jpeg(_blank(document.pages[0]))
    colour = Image.new("RGB", (document.pages[1].width, document.pages[1].height), (200, 30, 30))

    data = render_pdf(document, [grey, colour])
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    listing = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]

    assert grey in data
    assert [(row.split()[0], row.split()[5], row.split()[8]) for row in listing] == [
        ("1", "gray", "jpeg"),
        ("2", "rgb", "jpeg"),
    ]


def test_page_read_from_a_text_layer_gets_its_image_and_text(tmp_path: Path) -> None:
    """A born-digital page (source text-layer) is drawn from its image like any other."""
    built = make_page(1, [["BORN DIGITAL"]])
    page = built.model_copy(update={"source": "text-layer"})
    path = _render(Document.from_pages([page]), tmp_path)

    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]

    assert len(images) == 1
    assert _pages_text(path) == ["BORN DIGITAL"]


def test_blank_pages_keep_their_place(tmp_path: Path) -> None:
    """A page without words is an image-only page; later pages keep their numbers."""
    document = make_document([[["before"]], [], [["after"]]])

    assert _pages_text(_render(document, tmp_path)) == ["before", "", "after"]


def test_the_text_font_is_embedded(tmp_path: Path) -> None:
    """The glyph-less font travels with the file: viewers need not substitute one."""
    path = _render(make_document([[["embedded"]]]), tmp_path)

    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]

    assert len(fonts) == 1
    name, kind, kind2, encoding, embedded, _subset, unicode, *_ = fonts[0].split()
    assert (name, f"{kind} {kind2}", encoding) == ("GlyphLessFont", "CID TrueType", "Identity-H")
    assert (embedded, unicode) == ("yes", "yes")


def test_one_image_per_page_is_required() -> None:
    """Too few or too many images is a caller's error, not a silently shorter PDF."""
    document = make_document([[["one"]], [["two"]]])

    with pytest.raises(ValueError, match="2 pages but 1 page images"):
        render_pdf(document, [_blank(document.pages[0])])


# --- turned and skewed pages -------------------------------------------------------------

LINES = [
    "the quick brown fox jumps over the lazy dog",
    "pack my box with five dozen liquor jugs",
    "sphinx of black quartz judge my vow",
]


def _page(blocks: list[Block], *, width: int, height: int, rotation: int = 0) -> Page:
    return Page(
        number=1,
        width=width,
        height=height,
        dpi=300,
        preprocessing=Preprocessing(rotation=rotation),  # type: ignore[arg-type]
        blocks=blocks,
        engine="tesseract",
        languages=["eng"],
        seconds=0.1,
    )


def _tilted_box(x: float, y: float, length: float, height: float, degrees: float) -> BBox:
    """Upright bounding box of a word whose baseline starts at (x, y) and rises by ``degrees``."""
    a = math.radians(degrees)
    corners = [
        (x + dx * math.cos(a) - dy * math.sin(a), y - dx * math.sin(a) - dy * math.cos(a))
        for dx, dy in ((0, 0), (length, 0), (0, height), (length, height))
    ]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return BBox(x0=round(min(xs)), y0=round(min(ys)), x1=round(max(xs)), y1=round(max(ys)))


def _tilted_page(degrees: float) -> Page:
    """Three lines of text printed on a sheet lying ``degrees`` askew (counter-clockwise)."""
    blocks = []
    a = math.radians(degrees)
    for i, text in enumerate(LINES):
        words, along = [], 0.0
        for token in text.split():
            length = 22 * len(token)
            x, y = 200 + along * math.cos(a), 300 + 70 * i - along * math.sin(a)
            words.append(
                Word(text=token, bbox=_tilted_box(x, y, length, 40, degrees), confidence=0.9)
            )
            along += length + 18
        line = Line(bbox=BBox.union(w.bbox for w in words), words=words)
        blocks.append(Block(bbox=line.bbox, lines=[line]))
    return _page(blocks, width=2000, height=1000)


@pytest.mark.parametrize("degrees", [1.5, -1.5, 0.8])
def test_skewed_lines_read_back_whole_and_in_order(tmp_path: Path, degrees: float) -> None:
    """On a page scanned askew, each line still reads as one line, and each word overlaps
    the box it was recognised in."""
    page = _tilted_page(degrees)
    scale = POINTS_PER_INCH / 300

    path = _render(Document.from_pages([page]), tmp_path)

    assert [line for line in _pdftotext(path).split("\n") if line.strip()] == LINES
    (found,) = _pdf_words(path)
    for pdf_word, word in zip(found, page.words(), strict=True):
        box = word.bbox
        assert pdf_word.text == word.text
        assert pdf_word.x0 < box.x1 * scale and pdf_word.x1 > box.x0 * scale
        assert pdf_word.y0 < box.y1 * scale and pdf_word.y1 > box.y0 * scale


def test_strongly_skewed_lines_follow_their_slope(tmp_path: Path) -> None:
    """A line leaning by more than twice its height end to end is drawn along its slope,
    so that every character stays on its word's box (PDFium's character boxes)."""
    page = _tilted_page(8)
    scale = POINTS_PER_INCH / 300
    data = _render(Document.from_pages([page]), tmp_path).read_bytes()

    pdf = pypdfium2.PdfDocument(data)
    try:
        height = pdf[0].get_size()[1]
        text_page = pdf[0].get_textpage()
        chars = [
            (text_page.get_text_range(i, 1), text_page.get_charbox(i, loose=True))
            for i in range(text_page.count_chars())
        ]
    finally:
        pdf.close()

    letters = iter([(c, box) for c, box in chars if c.strip()])
    for word in page.words():
        box = word.bbox
        for expected in word.text:
            char, (left, bottom, right, top) = next(letters)
            assert char == expected
            assert box.x0 * scale <= (left + right) / 2 <= box.x1 * scale
            assert box.y0 * scale <= height - (bottom + top) / 2 <= box.y1 * scale
    assert next(letters, None) is None


def test_page_turned_a_quarter_reads_in_order(tmp_path: Path) -> None:
    """On a page that had to be turned 90 degrees clockwise to stand upright, the text runs
    up the image as loaded: it is written in reading order, reads as whole lines, and each
    word covers its box. (The order of the blocks is poppler's to choose.)"""
    upright = make_page(1, [[LINES[0]], [LINES[1], LINES[2]]], width=1000, height=1400)
    width = upright.width

    def turned(box: BBox) -> BBox:
        # The image as loaded is the upright page turned a quarter counter-clockwise.
        return BBox(x0=box.y0, y0=width - box.x1, x1=box.y1, y1=width - box.x0)

    blocks = [
        Block(
            bbox=turned(block.bbox),
            lines=[
                Line(
                    bbox=turned(line.bbox),
                    words=[w.model_copy(update={"bbox": turned(w.bbox)}) for w in line.words],
                )
                for line in block.lines
            ],
        )
        for block in upright.blocks
    ]
    page = _page(blocks, width=upright.height, height=upright.width, rotation=90)
    scale = POINTS_PER_INCH / 300

    path = _render(Document.from_pages([page]), tmp_path)

    assert _pdftotext(path, "-raw").split() == " ".join(LINES).split()
    assert sorted(line for line in _pdftotext(path).split("\n") if line.strip()) == sorted(LINES)
    (found,) = _pdf_words(path)
    found.sort(key=lambda w: (w.x0, -w.y1))
    for pdf_word, word in zip(found, page.words(), strict=True):
        assert pdf_word.x0 == pytest.approx(word.bbox.x0 * scale, abs=2)
        assert pdf_word.y0 == pytest.approx(word.bbox.y0 * scale, abs=2)
        assert pdf_word.y1 == pytest.approx(word.bbox.y1 * scale, abs=TOLERANCE_PT)


def test_output_is_a_function_of_its_inputs() -> None:
    """The same document and images give the same bytes: no dates, no random ids."""
    document = make_document([[["same"]]])
    images = [io.BytesIO(encode_jpeg(_blank(document.pages[0]))).getvalue()]

    assert render_pdf(document, images) == render_pdf(document, images)
