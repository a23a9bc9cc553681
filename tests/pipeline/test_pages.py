"""Loading one page of an accepted upload as an image an engine can read."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw

from tests import samples
from untxt.errors import CorruptInputError, EncryptedInputError, InputTooLargeError
from untxt.pipeline.inputs import inspect_input
from untxt.pipeline.pages import load_page

PDF = "application/pdf"
TIFF = "image/tiff"
PLENTY = 50_000_000
SOURCE_DPI = 200
EXIF_ORIENTATION = 0x0112


def _pdf_with_broken_second_page() -> bytes:
    """A PDF whose page tree lists a good page and an object that is not a page."""
    return samples.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
            b"(not a page)",
        ]
    )


def _marked_image(size: tuple[int, int] = (120, 60)) -> Image.Image:
    """White, with a black square in the top-left corner to track rotations."""
    image = Image.new("L", size, "white")
    ImageDraw.Draw(image).rectangle((0, 0, 19, 19), fill="black")
    return image


def _is_dark(pixel: object) -> bool:
    value = sum(pixel[:3]) / 3 if isinstance(pixel, tuple) else pixel
    assert isinstance(value, int | float)
    return value < 64


@pytest.mark.parametrize("dpi", [100, 300])
def test_pdf_page_is_rendered_at_the_requested_dpi(dpi: int) -> None:
    """A page drawn from a 200-DPI scan renders at dpi/200 times the scan's pixel size."""
    scan = samples.text_image(["INVOICE 12345"])
    data = samples.pdf([["INVOICE 12345"]], dpi=SOURCE_DPI)

    page, page_dpi = load_page(data, PDF, 0, dpi=dpi, max_pixels=PLENTY)

    assert page_dpi == dpi
    assert page.mode == "L"
    assert abs(page.width - scan.width * dpi / SOURCE_DPI) <= 1
    assert abs(page.height - scan.height * dpi / SOURCE_DPI) <= 1
    low, high = page.getextrema()  # type: ignore[misc]
    assert low < 64 < 192 < high


def test_pdf_pages_are_selected_by_zero_based_index() -> None:
    """Index 1 is the second page: here, the one with the longer line."""
    data = samples.pdf([["A"], ["A MUCH LONGER LINE"]], dpi=SOURCE_DPI)

    first, _ = load_page(data, PDF, 0, dpi=SOURCE_DPI, max_pixels=PLENTY)
    second, _ = load_page(data, PDF, 1, dpi=SOURCE_DPI, max_pixels=PLENTY)

    assert abs(first.width - samples.text_image(["A"]).width) <= 1
    assert abs(second.width - samples.text_image(["A MUCH LONGER LINE"]).width) <= 1


def test_pdf_page_over_the_pixel_limit_at_render_dpi_is_refused() -> None:
    """The limit applies to the rendered size: the same page passes at 100 DPI, not at 300."""
    data = samples.pdf([["INVOICE 12345"]], dpi=SOURCE_DPI)
    small, _ = load_page(data, PDF, 0, dpi=100, max_pixels=PLENTY)
    limit = small.width * small.height * 4

    assert load_page(data, PDF, 0, dpi=100, max_pixels=limit)[0].size == small.size
    with pytest.raises(InputTooLargeError, match=f"the limit is {limit} pixels"):
        load_page(data, PDF, 0, dpi=300, max_pixels=limit)


def test_pdf_page_index_past_the_end_is_refused_as_corrupt() -> None:
    """Asking for page 3 of a two-page PDF is an input error, not a PDFium exception."""
    data = samples.pdf([["ONE"], ["TWO"]])

    with pytest.raises(CorruptInputError):
        load_page(data, PDF, 2, dpi=100, max_pixels=PLENTY)


def test_pdf_page_that_cannot_be_loaded_is_refused_as_corrupt() -> None:
    """A damaged page object passes the page count but fails its load as a corrupt input."""
    data = _pdf_with_broken_second_page()
    assert inspect_input(data, max_pages=10, max_pixels=PLENTY).pages == 2

    assert load_page(data, PDF, 0, dpi=72, max_pixels=PLENTY)[0].size == (72, 72)
    with pytest.raises(CorruptInputError):
        load_page(data, PDF, 1, dpi=72, max_pixels=PLENTY)


def test_encrypted_pdf_page_is_refused_as_encrypted() -> None:
    """The worker gets the same clear error as submit would."""
    with pytest.raises(EncryptedInputError):
        load_page(samples.encrypted_pdf(), PDF, 0, dpi=100, max_pixels=PLENTY)


def test_tiff_pages_are_selected_by_zero_based_index() -> None:
    """Each TIFF frame loads as its own page, with that frame's size and DPI."""
    pages = [["ONE"], ["TWO TWO TWO"], ["THREE THREE THREE THREE"]]
    data = samples.multipage(pages, "TIFF", dpi=SOURCE_DPI)

    loaded = [load_page(data, TIFF, i, dpi=300, max_pixels=PLENTY) for i in range(len(pages))]

    assert [image.size for image, _ in loaded] == [samples.text_image(p).size for p in pages]
    assert [dpi for _, dpi in loaded] == [SOURCE_DPI] * len(pages)


def test_tiff_page_past_the_end_is_refused_as_corrupt() -> None:
    """A page index beyond the last frame is an input error, not an EOFError."""
    data = samples.multipage([["ONE"], ["TWO"]], "TIFF")

    with pytest.raises(CorruptInputError):
        load_page(data, TIFF, 2, dpi=300, max_pixels=PLENTY)


def test_tiff_later_page_over_the_pixel_limit_is_refused() -> None:
    """A small first frame does not let a huge later frame past the limit."""
    small = Image.new("L", (100, 100), "white")
    large = Image.new("L", (1500, 1500), "white")
    data = samples.encode(small, "TIFF", save_all=True, append_images=[large])

    assert load_page(data, TIFF, 0, dpi=300, max_pixels=1_000_000)[0].size == (100, 100)
    with pytest.raises(InputTooLargeError, match="1500x1500"):
        load_page(data, TIFF, 1, dpi=300, max_pixels=1_000_000)


def test_image_over_the_pixel_limit_is_refused() -> None:
    """The worker re-checks the limit the configuration may have lowered since submit."""
    data = samples.png(["HELLO"])
    width, height = samples.text_image(["HELLO"]).size

    with pytest.raises(InputTooLargeError, match=f"{width}x{height}"):
        load_page(data, "image/png", 0, dpi=300, max_pixels=width * height - 1)


@pytest.mark.parametrize("format", ["GIF", "WEBP", "BMP", "JPEG", "PNG", "TIFF"])
def test_accepted_image_formats_load_as_grey_or_rgb_at_full_size(format: str) -> None:
    """Every accepted format decodes to an L or RGB image of its own pixel size."""
    image = samples.text_image(["HELLO"], mode="RGB")
    data = samples.encode(image, format)
    media_type = inspect_input(data, max_pages=1, max_pixels=PLENTY).media_type

    page, _ = load_page(data, media_type, 0, dpi=300, max_pixels=PLENTY)

    assert page.mode in ("L", "RGB")
    assert page.size == image.size
    assert not _is_dark(page.getpixel((2, 2)))
    assert _is_dark(page.convert("L").getextrema()[0])


@pytest.mark.parametrize("format", ["PNG", "WEBP", "TIFF", "GIF"])
def test_transparent_background_is_flattened_to_white(format: str) -> None:
    """Transparent pixels become white whatever colour they hid; opaque ink stays black."""
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((0, 0, 9, 9), fill=(0, 0, 0, 255))
    data = samples.encode(image, format)

    page, _ = load_page(data, "image/" + format.lower(), 0, dpi=300, max_pixels=PLENTY)

    assert page.mode == "RGB"
    assert page.getpixel((30, 15)) == (255, 255, 255)
    assert page.getpixel((5, 5)) == (0, 0, 0)


def test_grey_with_alpha_is_flattened_to_white() -> None:
    """An LA image's transparent area also becomes white."""
    data = samples.encode(Image.new("LA", (10, 10), (0, 0)), "PNG")

    page, _ = load_page(data, "image/png", 0, dpi=300, max_pixels=PLENTY)

    assert page.convert("L").getextrema() == (255, 255)


@pytest.mark.parametrize(
    ("orientation", "corner"),
    [(3, "bottom-right"), (6, "top-right"), (8, "bottom-left")],
)
def test_exif_orientation_is_applied(orientation: int, corner: str) -> None:
    """A camera photo tagged as rotated is turned upright before recognition."""
    image = _marked_image((120, 60))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    data = samples.encode(image, "JPEG", exif=exif)

    page, _ = load_page(data, "image/jpeg", 0, dpi=300, max_pixels=PLENTY)

    expected_size = (60, 120) if orientation in (6, 8) else (120, 60)
    assert page.size == expected_size
    right, bottom = page.width - 6, page.height - 6
    corners = {
        "top-left": (5, 5),
        "top-right": (right, 5),
        "bottom-left": (5, bottom),
        "bottom-right": (right, bottom),
    }
    dark = [name for name, xy in corners.items() if _is_dark(page.getpixel(xy))]
    assert dark == [corner]


@pytest.mark.parametrize(("tag", "expected"), [((300, 300), 300), ((150, 150), 150)])
def test_image_dpi_tag_is_used_when_plausible(tag: tuple[int, int], expected: int) -> None:
    """A scanner's resolution tag is passed on to the engine."""
    data = samples.encode(_marked_image(), "PNG", dpi=tag)

    assert load_page(data, "image/png", 0, dpi=100, max_pixels=PLENTY)[1] == expected


@pytest.mark.parametrize("tag", [(72, 72), (1, 1), None])
def test_placeholder_or_missing_dpi_tag_is_ignored(tag: tuple[int, int] | None) -> None:
    """72 or 1 DPI is a software default, not a scan resolution; no tag means unknown."""
    image = _marked_image()
    data = samples.encode(image, "PNG", dpi=tag) if tag else samples.encode(image, "PNG")

    assert load_page(data, "image/png", 0, dpi=300, max_pixels=PLENTY)[1] is None


def test_truncated_jpeg_that_passed_inspection_fails_to_load_as_corrupt() -> None:
    """Damage in the pixel data surfaces when the worker decodes the page."""
    whole = samples.encode(samples.text_image(["HELLO"], mode="RGB"), "JPEG")
    data = whole[: len(whole) // 2]
    media_type = inspect_input(data, max_pages=1, max_pixels=PLENTY).media_type

    with pytest.raises(CorruptInputError, match="truncated"):
        load_page(data, media_type, 0, dpi=300, max_pixels=PLENTY)


@pytest.mark.parametrize(("mode", "fill"), [("1", 1), ("I;16", 65535), ("P", 0)])
def test_bilevel_sixteen_bit_and_palette_images_become_grey_or_rgb(mode: str, fill: int) -> None:
    """Engines only get L or RGB, whatever the file stored."""
    image = Image.new(mode, (16, 8), fill)
    if mode == "P":
        image.putpalette([255, 255, 255] * 256)
    data = samples.encode(image, "PNG")

    page, _ = load_page(data, "image/png", 0, dpi=300, max_pixels=PLENTY)

    assert page.mode in ("L", "RGB")
    assert page.convert("L").getextrema() == (255, 255)


def test_a_scanned_pdf_page_at_its_own_resolution_is_its_scan_pixel_for_pixel() -> None:
    # A palette image is stored losslessly, so the scan can be compared exactly;
    # rendering the page instead would resample it (and round its size up).
    scan = samples.text_image(["SCANNED AT 200"], size=40).convert("P")
    data = samples.encode(scan, "PDF", resolution=200)

    page, dpi = load_page(data, PDF, 0, dpi=200, max_pixels=PLENTY)

    assert dpi == 200
    assert page.mode == "L"
    assert page.size == scan.size
    assert ImageChops.difference(page, scan.convert("L")).getbbox() is None


def test_a_scanned_pdf_page_asked_at_another_resolution_is_rendered_at_that_one() -> None:
    scan = samples.text_image(["SCANNED AT 200"], size=40)
    data = samples.encode(scan, "PDF", resolution=200)

    page, _ = load_page(data, PDF, 0, dpi=100, max_pixels=PLENTY)

    assert abs(page.width - scan.width / 2) <= 1
    assert abs(page.height - scan.height / 2) <= 1
