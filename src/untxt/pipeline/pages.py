"""Turn page ``i`` of an accepted upload into an image an engine can read."""

from __future__ import annotations

from PIL import Image, ImageOps

from untxt.errors import CorruptInputError
from untxt.pipeline.inputs import PDF, check_pixels, open_image
from untxt.pipeline.pdf import pdf_page_size, render_pdf_page

# Below this an image's DPI tag is a placeholder (72, 1) rather than a scan resolution.
_MIN_PLAUSIBLE_DPI = 100


def load_page(
    data: bytes, media_type: str, index: int, *, dpi: int, max_pixels: int
) -> tuple[Image.Image, int | None]:
    """Return page ``index`` (0-based) as an ``L`` or ``RGB`` image, with its DPI if known.

    PDF pages are rendered at ``dpi``; raster images keep their own pixels.
    """
    if media_type == PDF:
        check_pixels(*pdf_page_size(data, index, dpi), max_pixels=max_pixels)
        return render_pdf_page(data, index, dpi), dpi
    with open_image(data) as image:
        try:
            if index:
                image.seek(index)
            # After the seek: each TIFF page has its own size.
            check_pixels(image.width, image.height, max_pixels=max_pixels)
            image.load()
            page = ImageOps.exif_transpose(image) or image
            return _normalise(page), _image_dpi(image)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptInputError(f"the image data cannot be decoded: {exc}") from None


def _normalise(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white and reduce to ``L`` or ``RGB``."""
    if image.mode in ("L", "RGB"):
        return image.copy()
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image.convert("RGBA"))
        return background.convert("RGB")
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        return image.convert("L")
    return image.convert("RGB")


def _image_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    value = round(float(dpi[0]))
    return value if value >= _MIN_PLAUSIBLE_DPI else None
