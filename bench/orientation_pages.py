"""The rendered pages of bench/orientation.py: prose in columns, invoices, forms, large and
small scans, faint prints, long narrow receipts. Each kind is drawn from a seed, so a
run sees the same pages; none is drawn to suit the decision being measured."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from common import VOCABULARY

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FACES = ("DejaVuSerif.ttf", "DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf")
ITEMS = (
    "coffee beans", "paper towels", "printer toner", "electricity", "office chair",
    "cable set", "monitor arm", "desk lamp", "water 500ml", "rice 5kg", "bread",
    "service fee", "delivery", "consulting hours", "license renewal", "usb hub",
)  # fmt: skip


def face(size: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(low, high)))


def amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}"


def scan_noise(image: Image.Image, rng: random.Random, specks: int) -> Image.Image:
    """Specks and a faint grain, as a flatbed leaves them."""
    draw = ImageDraw.Draw(image)
    for _ in range(specks):
        draw.point(
            (rng.randrange(image.width), rng.randrange(image.height)), fill=rng.randint(90, 200)
        )
    pixels = np.asarray(image, dtype=np.int16)
    grain = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 4, pixels.shape)
    return Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8))


def prose_columns(seed: int) -> Image.Image:
    """A letter page at 200 DPI of prose in two or three columns under a title."""
    rng = random.Random(seed)
    width, height = 1700, 2200
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    name = rng.choice(FACES[:2])
    draw.text((150, 120), words(rng, 3, 6).title(), font=face(56, name), fill=0)
    columns = rng.choice((2, 3))
    gap = 60
    column = (width - 300 - gap * (columns - 1)) // columns
    size = rng.choice((22, 24, 26))
    body = face(size, name)
    for c in range(columns):
        x = 150 + c * (column + gap)
        y = 260
        while y < height - 200:
            line = ""
            while True:
                word = rng.choice(VOCABULARY)
                if draw.textlength(f"{line} {word}", font=body) > column:
                    break
                line = f"{line} {word}".strip()
            draw.text((x, y), line, font=body, fill=rng.randint(0, 40))
            y += int(size * 1.5) + (size if rng.random() < 0.08 else 0)
    return scan_noise(image, rng, 800)


def invoice(seed: int) -> Image.Image:
    """An A4 invoice at 150 DPI: a header, addresses, a table of items with rules, totals."""
    rng = random.Random(seed)
    width, height = 1240, 1754
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    bold, body = face(44, "DejaVuSans-Bold.ttf"), face(20)
    draw.text((90, 80), f"{words(rng, 1, 2).title()} Ltd", font=bold, fill=0)
    draw.text((width - 420, 90), "INVOICE", font=face(40, "DejaVuSans-Bold.ttf"), fill=0)
    y = 190
    for label in ("Invoice no", "Date", "Due date", "Customer"):
        draw.text((width - 420, y), f"{label}: {rng.randint(1000, 99999)}", font=body, fill=0)
        y += 30
    for line in range(4):
        draw.text((90, 190 + 30 * line), words(rng, 2, 4).title(), font=body, fill=0)
    y = 420
    draw.rectangle((80, y, width - 80, y + 40), fill=220)
    for x, head in ((100, "Description"), (700, "Qty"), (820, "Price"), (1000, "Amount")):
        draw.text((x, y + 8), head, font=face(20, "DejaVuSans-Bold.ttf"), fill=0)
    y += 50
    for _ in range(rng.randint(5, 14)):
        draw.text((100, y), rng.choice(ITEMS).title(), font=body, fill=0)
        for x in (700, 820, 1000):
            draw.text(
                (x, y), str(rng.randint(1, 20)) if x == 700 else amount(rng), font=body, fill=0
            )
        y += 36
        draw.line((80, y - 6, width - 80, y - 6), fill=170, width=1)
    for label in ("Subtotal", "VAT 10%", "Total"):
        draw.text((820, y + 20), label, font=body, fill=0)
        draw.text((1000, y + 20), amount(rng), font=body, fill=0)
        y += 34
    return scan_noise(image, rng, 400)


def form(seed: int) -> Image.Image:
    """A letter form at 150 DPI: labelled boxes to fill in, check boxes, a little writing."""
    rng = random.Random(seed)
    width, height = 1275, 1650
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    draw.text((80, 60), words(rng, 2, 4).upper(), font=face(36, "DejaVuSans-Bold.ttf"), fill=0)
    body = face(20)
    y = 150
    while y < height - 200:
        kind = rng.random()
        if kind < 0.6:
            label = words(rng, 1, 3).capitalize()
            draw.text((80, y), label, font=body, fill=0)
            draw.rectangle((420, y - 6, width - 80, y + 30), outline=0, width=2)
            if rng.random() < 0.6:
                draw.text(
                    (430, y), words(rng, 2, 5), font=face(22, "DejaVuSerif-Italic.ttf"), fill=60
                )
            y += 56
        elif kind < 0.85:
            x = 80
            for _ in range(rng.randint(2, 4)):
                draw.rectangle((x, y, x + 22, y + 22), outline=0, width=2)
                if rng.random() < 0.4:
                    draw.line((x + 4, y + 11, x + 10, y + 18, x + 19, y + 3), fill=0, width=3)
                draw.text((x + 32, y), words(rng, 1, 2), font=body, fill=0)
                x += 280
            y += 50
        else:
            draw.line((80, y + 10, width - 80, y + 10), fill=0, width=3)
            y += 40
    return scan_noise(image, rng, 300)


def receipt_text(rng: random.Random, lines: int) -> list[str]:
    out = [words(rng, 1, 3).upper(), f"{rng.randint(1, 999)} {words(rng, 1, 2).title()} St", ""]
    for _ in range(lines):
        name = rng.choice(ITEMS)[:18]
        out.append(f"{name:<20}{amount(rng):>10}")
    out += ["-" * 30, f"{'TOTAL':<20}{amount(rng):>10}", f"{'CASH':<20}{amount(rng):>10}", ""]
    out.append("THANK YOU, COME AGAIN")
    return out


def narrow_receipt(seed: int, faint: bool = True) -> Image.Image:
    """A long narrow thermal receipt (80 mm at 180 DPI), monospace, faint and uneven."""
    rng = random.Random(seed)
    lines = receipt_text(rng, rng.randint(20, 45))
    size = 24
    width, height = 576, 140 + len(lines) * int(size * 1.35)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = face(size, "DejaVuSansMono.ttf")
    for i, line in enumerate(lines):
        draw.text(
            (24, 70 + i * int(size * 1.35)),
            line,
            font=font,
            fill=rng.randint(110, 160) if faint else 0,
        )
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    return scan_noise(image, rng, 150)


def large_scan(seed: int) -> Image.Image:
    """A small receipt lying on an A4 flatbed scan at 600 DPI (4961 x 7016)."""
    rng = random.Random(seed)
    inner = narrow_receipt(seed, faint=False)
    factor = 2.4
    receipt = inner.resize(
        (round(inner.width * factor), round(inner.height * factor)), Image.Resampling.BICUBIC
    )
    page = Image.new("L", (4961, 7016), 250)
    page.paste(receipt, (rng.randint(200, 1500), rng.randint(200, 900)))
    return page


def small_scan(seed: int) -> Image.Image:
    """A letter page scanned at 100 DPI: text about 10 pixels high."""
    rng = random.Random(seed)
    width, height = 850, 1100
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    body = face(13, rng.choice(FACES[:2]))
    y = 80
    while y < height - 80:
        draw.text((70, y), words(rng, 9, 13).capitalize(), font=body, fill=20)
        y += 19
    return scan_noise(image, rng, 200)


def faint_page(seed: int) -> Image.Image:
    """A letter page at 150 DPI printed faint on a grey, uneven paper."""
    rng = random.Random(seed)
    width, height = 1275, 1650
    gradient = np.linspace(215, 245, width, dtype=np.float64)[None, :].repeat(height, axis=0)
    image = Image.fromarray(gradient.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    body = face(24, rng.choice(FACES[:2]))
    y = 120
    while y < height - 120:
        draw.text((110, y), words(rng, 7, 11).capitalize(), font=body, fill=rng.randint(150, 180))
        y += 40
    return scan_noise(image.filter(ImageFilter.GaussianBlur(0.5)), rng, 300)


#: Each kind of page, and how many of it a run draws.
KINDS: dict[str, tuple[Callable[[int], Image.Image], int]] = {
    "prose in columns": (prose_columns, 6),
    "invoice": (invoice, 6),
    "form": (form, 6),
    "large scan": (large_scan, 4),
    "small scan": (small_scan, 4),
    "faint print": (faint_page, 4),
    "long narrow receipt": (narrow_receipt, 8),
}
