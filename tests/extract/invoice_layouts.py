"""Page drawing for the invoices of tests.extract.invoices: five layouts and a scanner's wear."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

_FONTS = "/usr/share/fonts/truetype/dejavu/"
LETTER = (1700, 2200)  # 8.5 x 11 in at 200 DPI
A4 = (1654, 2339)  # 210 x 297 mm at 200 DPI
MARGIN = 110
Fill = str | int | tuple[int, int, int]


@lru_cache(maxsize=64)
def face(family: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{_FONTS}{family}{'-Bold' if bold else ''}.ttf", size)


@dataclass
class Party:
    """A vendor or customer: its name, address lines and further lines (tax number, phone).

    ``labeled`` is what the Vietnamese form prints instead, one "label: value" row each.
    """

    name: str
    address: list[str]
    extra: list[str] = field(default_factory=list)
    labeled: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Column:
    header: str  # "\n" breaks a header over lines
    align: str = "r"  # "l", "r" or "c"
    flex: bool = False  # takes the width the other columns leave, wrapping its cells


@dataclass
class Sheet:
    """All one invoice prints, worded and formatted already: a layout only places it."""

    layout: str
    title: str
    vendor: Party
    customer: Party
    meta: list[tuple[str, str]]
    columns: list[Column]
    rows: list[list[str]]
    # A "\t" in a label splits it: the part before it goes to the left edge (Vietnamese form).
    totals: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    headings: tuple[str, str] = ("Bill To", "Ship To")
    ship_to: Party | None = None
    subtitle: list[str] = field(default_factory=list)
    words: str = ""
    column_numbers: list[str] = field(default_factory=list)
    signatures: list[list[str]] = field(default_factory=list)
    stamp: list[str] = field(default_factory=list)
    family: str = "DejaVuSans"
    size: int = 30
    page: tuple[int, int] = LETTER
    accent: tuple[int, int, int] | None = None  # colours an RGB page's title and bands
    table_style: str = "grid"  # grid, rows, band or plain


class Canvas:
    """A white page with text helpers in the sheet's font, measured from each line's top."""

    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self.image = Image.new("RGB" if sheet.accent else "L", sheet.page, "white")
        self.draw = ImageDraw.Draw(self.image)
        self.size = sheet.size
        self.step = round(sheet.size * 1.45)
        self.pad = sheet.size // 2
        self.x0, self.x1 = MARGIN, sheet.page[0] - MARGIN
        self.accent: Fill = sheet.accent or "black"
        self.grey: Fill = (90, 90, 90) if sheet.accent else 90
        self.shade: Fill = (222, 232, 245) if sheet.accent else 225

    def font(self, bold: bool = False, scale: float = 1.0) -> ImageFont.FreeTypeFont:
        return face(self.sheet.family, round(self.size * scale), bold)

    def width(self, text: str, bold: bool = False, scale: float = 1.0) -> int:
        return round(self.font(bold, scale).getlength(text))

    def text(
        self,
        x: int,
        y: int,
        text: str,
        *,
        bold: bool = False,
        scale: float = 1.0,
        align: str = "l",
        fill: Fill = "black",
    ) -> int:
        """Draws one line with its top at ``y``; returns the top of the next line."""
        anchor = {"l": "la", "r": "ra", "c": "ma"}[align]
        self.draw.text((x, y), text, font=self.font(bold, scale), fill=fill, anchor=anchor)
        return y + round(self.step * scale)

    def lines(
        self,
        x: int,
        y: int,
        lines: list[str],
        *,
        bold: bool = False,
        scale: float = 1.0,
        align: str = "l",
        fill: Fill = "black",
    ) -> int:
        for line in lines:
            y = self.text(x, y, line, bold=bold, scale=scale, align=align, fill=fill)
        return y

    def wrap(self, text: str, width: int, bold: bool = False) -> list[str]:
        """``text`` broken at spaces into lines no wider than ``width``."""
        lines = [""]
        for word in text.split(" "):
            candidate = f"{lines[-1]} {word}".strip()
            if lines[-1] and self.width(candidate, bold) > width:
                lines.append(word)
            else:
                lines[-1] = candidate
        return lines

    def rule(self, y: int, width: int = 2) -> None:
        self.draw.line((self.x0, y, self.x1, y), fill="black", width=width)

    def labeled(self, x: int, y: int, rows: list[tuple[str, str]], *, bold_values: bool) -> int:
        """Rows of "label: value", a long value wrapping under its own start."""
        for label, value in rows:
            head = f"{label}: "
            indent = self.width(head)
            self.text(x, y, head)
            for line in self.wrap(value, self.x1 - x - indent, bold_values):
                y = self.text(x + indent, y, line, bold=bold_values)
        return y

    def table(self, y: int, columns: list[Column], rows: list[list[str]], style: str) -> list[int]:
        """The item table from ``y``; returns its column edges, then the y below it."""
        pad = self.pad
        natural = [
            max(
                [self.width(h, bold=True) for h in column.header.split("\n")]
                + [self.width(row[i]) for row in rows]
                # The amount column also takes the totals, printed bold under it.
                + [self.width(v, bold=True) for _, v in self.sheet.totals if i == len(columns) - 1]
            )
            + 2 * pad
            for i, column in enumerate(columns)
        ]
        spare = (
            self.x1 - self.x0 - sum(w for w, c in zip(natural, columns, strict=True) if not c.flex)
        )
        edges = [self.x0]
        for w, column in zip(natural, columns, strict=True):
            edges.append(edges[-1] + (spare if column.flex else w))
        numbers = [self.sheet.column_numbers] if self.sheet.column_numbers else []
        top = y
        bodies = [[c.header.split("\n") for c in columns]]
        bodies += [[[n] for n in row] for row in numbers]
        bodies += [
            [self.wrap(cell, edges[i + 1] - edges[i] - 2 * pad) for i, cell in enumerate(row)]
            for row in rows
        ]
        for r, cells in enumerate(bodies):
            height = max(len(c) for c in cells) * self.step + pad // 2
            if r == 0 and style == "band":
                self.draw.rectangle((self.x0, y, self.x1, y + height), fill=self.shade)
            for i, (column, lines) in enumerate(zip(columns, cells, strict=True)):
                align = "c" if r == 0 or r <= len(numbers) else column.align
                x = {"l": edges[i] + pad, "r": edges[i + 1] - pad}.get(align)
                x = (edges[i] + edges[i + 1]) // 2 if x is None else x
                self.lines(x, y + pad // 3, lines, bold=r == 0, align=align)
            if style != "plain" or r == 0:
                self.rule(y, width=2 if r == 0 else 1)
            y += height
        self.rule(y)
        if style == "grid":
            for x in edges:
                self.draw.line((x, top, x, y), fill="black", width=2)
        return [*edges, y]

    def totals(self, y: int, label_right: int, *, colon: bool = False, band: bool = False) -> int:
        """The totals, labels ending at ``label_right`` or further left, amounts at the margin."""
        widest = max(self.width(value, bold=True) for _, value in self.sheet.totals)
        label_right = min(label_right, self.x1 - self.pad - widest - self.size)
        for label, value in self.sheet.totals:
            folded = label.lower()
            strong = "due" in folded or (
                "total" in folded and not ("sub" in folded or "excl" in folded)
            )
            if strong and band:
                left = label_right - self.width(label, bold=True) - self.pad
                self.draw.rectangle((left, y - 8, self.x1, y + self.step - 8), fill=self.shade)
            self.text(label_right, y, label + (":" if colon else ""), bold=strong, align="r")
            y = self.text(self.x1 - self.pad, y, value, bold=strong, align="r")
        return y


def classic(c: Canvas) -> None:
    """Vendor top left, the title and a boxed number/date block top right, then Bill To."""
    s = c.sheet
    left = c.text(c.x0, MARGIN, s.vendor.name, bold=True, scale=1.2)
    left = c.lines(c.x0, left, s.vendor.address + s.vendor.extra)
    right = c.text(c.x1, MARGIN - 10, s.title, bold=True, scale=2.0, align="r", fill=c.accent)
    labels = max(c.width(label) for label, _ in s.meta)
    values = max(c.width(value) for _, value in s.meta)
    box = (c.x1 - labels - values - 3 * c.pad, right)
    bottom = right + len(s.meta) * c.step + c.pad
    c.draw.rectangle((*box, c.x1, bottom), outline="black", width=2)
    y = right + c.pad // 2
    for label, value in s.meta:
        c.text(box[0] + c.pad, y, label)
        y = c.text(c.x1 - c.pad, y, value, align="r")
    y = max(left, bottom) + c.step
    y = c.text(c.x0, y, s.headings[0].upper(), bold=True)
    y = c.lines(c.x0, y, [s.customer.name, *s.customer.address, *s.customer.extra])
    edges = c.table(y + c.step, s.columns, s.rows, s.table_style)
    y = c.totals(edges[-1] + c.pad, edges[-3] - c.pad)
    c.lines(c.x0, y + c.step, s.notes)


def modern(c: Canvas) -> None:
    """A big title over the numbers and dates, vendor on the right, Bill to and Ship to."""
    s = c.sheet
    y = c.text(c.x0, MARGIN, s.title, bold=True, scale=2.6, fill=c.accent)
    right = c.text(c.x1, MARGIN, s.vendor.name, bold=True, align="r")
    right = c.lines(c.x1, right, s.vendor.address + s.vendor.extra, align="r")
    y = max(y, right) + c.pad
    width = (c.x1 - c.x0) // 4
    for i, (label, value) in enumerate(s.meta):
        x, top = c.x0 + i % 4 * width, y + i // 4 * 2 * c.step
        c.text(x, top, label.upper(), bold=True, scale=0.8, fill=c.grey)
        c.text(x, top + round(c.step * 0.8), value)
    y += (len(s.meta) + 3) // 4 * 2 * c.step
    c.rule(y, width=3)
    y += c.pad
    mid = (c.x0 + c.x1) // 2 + c.size
    parties = [(c.x0, s.headings[0], s.customer), (mid, s.headings[1], s.ship_to)]
    bottoms = []
    for x, heading, party in parties:
        if party is not None:
            top = c.text(x, y, heading, fill=c.grey, bold=True, scale=0.9)
            top = c.text(x, top, party.name, bold=True)
            bottoms.append(c.lines(x, top, party.address + party.extra))
    edges = c.table(max(bottoms) + c.step, s.columns, s.rows, s.table_style)
    y = c.totals(edges[-1] + c.pad, edges[-3] - c.pad, band=True)
    c.lines(c.x0, y + c.step, s.notes)


def compact(c: Canvas) -> None:
    """A letterhead centred on top, then "Invoice #:"-style lines on the left, Bill To right."""
    s = c.sheet
    centre = (c.x0 + c.x1) // 2
    y = c.text(centre, MARGIN, s.vendor.name, bold=True, scale=1.4, align="c")
    y = c.lines(centre, y, s.vendor.address + s.vendor.extra, align="c")
    c.rule(y + 6, width=2)
    c.rule(y + 12, width=1)
    y = c.text(c.x0, y + c.step, s.title, bold=True, scale=1.5)
    indent = max(c.width(f"{label}:") for label, _ in s.meta) + c.size
    left = y
    for label, value in s.meta:
        c.text(c.x0, left, f"{label}:")
        left = c.text(c.x0 + indent, left, value)
    mid = centre + c.size * 2
    right = c.text(mid, y, f"{s.headings[0]}:", bold=True)
    right = c.lines(mid, right, [s.customer.name, *s.customer.address, *s.customer.extra])
    edges = c.table(max(left, right) + c.step, s.columns, s.rows, s.table_style)
    y = c.totals(edges[-1] + c.pad, edges[-3] - c.pad, colon=True)
    c.lines(c.x0, y + c.step, s.notes)


def coded(c: Canvas) -> None:
    """A tax invoice whose table has product codes, units and a tax rate on every line."""
    s = c.sheet
    left = c.text(c.x0, MARGIN, s.vendor.name, bold=True, scale=1.2)
    left = c.lines(c.x0, left, s.vendor.address + s.vendor.extra)
    right = c.text(c.x1, MARGIN, s.title, bold=True, scale=1.6, align="r", fill=c.accent)
    for label, value in s.meta:
        right = c.text(c.x1, right, f"{label}: {value}", align="r")
    y = max(left, right) + c.pad
    lines = [s.customer.name, *s.customer.address, *s.customer.extra]
    bottom = y + c.pad + (len(lines) + 1) * c.step
    width = max(c.width(line) for line in lines) + 2 * c.pad
    c.draw.rectangle((c.x0, y, c.x0 + max(width, 600), bottom), outline="black", width=2)
    top = c.text(c.x0 + c.pad, y + c.pad // 2, s.headings[0], bold=True)
    c.lines(c.x0 + c.pad, top, lines)
    edges = c.table(bottom + c.step, s.columns, s.rows, s.table_style)
    y = c.totals(edges[-1] + c.pad, edges[-3] - c.pad)
    c.lines(c.x0, y + c.step, s.notes)


def vat_vn(c: Canvas) -> None:
    """The Vietnamese VAT invoice form: serial block, seller, buyer, table, totals in words."""
    s = c.sheet
    meta = [f"{label}: {value}" for label, value in s.meta]
    mx = c.x1 - max(c.width(line) for line in meta)
    c.lines(mx, MARGIN, meta)
    centre = (c.x0 + mx) // 2
    y = c.text(centre, MARGIN, s.title, bold=True, scale=1.4, align="c", fill=c.accent)
    y = c.lines(centre, y, s.subtitle, align="c")
    y = max(y, MARGIN + len(meta) * c.step) + c.pad
    c.rule(y, width=3)
    y = c.labeled(c.x0, y + c.pad, s.vendor.labeled, bold_values=True)
    c.rule(y + c.pad // 2, width=1)
    y = c.labeled(c.x0, y + c.pad, s.customer.labeled, bold_values=False)
    edges = c.table(y + c.pad, s.columns, s.rows, "grid")
    y, value_left = edges[-1], edges[-3]
    for label, value in s.totals:
        left, _, right = label.partition("\t")
        strong = label.startswith("Tổng")
        c.text(c.x0 + c.pad, y + c.pad // 3, left, bold=strong)
        c.text(value_left - c.pad, y + c.pad // 3, right, bold=strong, align="r")
        c.text(c.x1 - c.pad, y + c.pad // 3, value, bold=strong, align="r")
        y += c.step + c.pad // 2
        c.rule(y, width=1)
    c.draw.line((value_left, edges[-1], value_left, y), fill="black", width=2)
    words = c.wrap(s.words, c.x1 - c.x0 - 2 * c.pad)
    y = c.lines(c.x0 + c.pad, y + c.pad // 3, words) + c.pad // 6
    c.rule(y, width=2)
    for x in (c.x0, c.x1):
        c.draw.line((x, edges[-1], x, y), fill="black", width=2)
    y += c.step
    for i, lines in enumerate(s.signatures):
        x = c.x0 + (c.x1 - c.x0) * (2 * i + 1) // (2 * len(s.signatures))
        c.lines(x, y, lines, align="c")
    top = y + (max(map(len, s.signatures)) + 1) * c.step
    if s.stamp:
        width = max(c.width(line, scale=0.85) for line in s.stamp) + 2 * c.pad
        x = min((c.x0 + c.x1) // 2 + c.size, c.x1 - width)
        bottom = top + len(s.stamp) * round(c.step * 0.85) + c.pad
        c.draw.rectangle((x, top, x + width, bottom), outline=c.accent, width=3)
        c.lines(x + c.pad, top + c.pad // 2, s.stamp, scale=0.85, fill=c.accent)
        top = bottom + c.step
    c.lines((c.x0 + c.x1) // 2, top, s.notes, align="c", scale=0.85)


LAYOUTS: dict[str, Callable[[Canvas], None]] = {
    "classic": classic,
    "modern": modern,
    "compact": compact,
    "coded": coded,
    "vat": vat_vn,
}


def render(sheet: Sheet) -> Image.Image:
    canvas = Canvas(sheet)
    LAYOUTS[sheet.layout](canvas)
    return canvas.image


def scanned(page: Image.Image, rng: random.Random) -> Image.Image:
    """``page`` as a cheap scanner returns it: skewed, grey paper, soft, noisy and specked."""
    angle = rng.uniform(0.5, 2.0) * rng.choice((-1, 1))
    page = page.convert("L").rotate(angle, Image.Resampling.BICUBIC, fillcolor=255)
    paper, ink = rng.randint(212, 234), rng.randint(20, 50)
    page = page.point([ink + (paper - ink) * v // 255 for v in range(256)])
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
    w, h = page.size
    # Two uniform fields averaged give a bell-ish grain, seeded unlike Image.effect_noise.
    grain = ImageChops.add(
        Image.frombytes("L", page.size, rng.randbytes(w * h)),
        Image.frombytes("L", page.size, rng.randbytes(w * h)),
        scale=2.0,
    ).point([128 + (v - 128) // 4 for v in range(256)])
    page = ImageChops.add(page, grain, offset=-128)
    draw = ImageDraw.Draw(page)
    for _ in range(rng.randint(150, 400)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice((1, 1, 2, 3))
        draw.ellipse((x, y, x + r, y + r), fill=rng.randint(40, 140))
    return page


def downsampled(page: Image.Image, dpi: int = 150) -> Image.Image:
    """A 200 DPI page as it would be scanned at ``dpi``."""
    w, h = page.size
    return page.resize((w * dpi // 200, h * dpi // 200), Image.Resampling.LANCZOS)
