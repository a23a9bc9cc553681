"""Documents built by hand for renderer tests: a fixed grid layout, no engine involved."""

from __future__ import annotations

from untxt.document import BBox, Block, Document, Line, Page, Word

CHAR_WIDTH = 10
LINE_HEIGHT = 30
BLOCK_GAP = 20
MARGIN = 50


def make_page(
    number: int,
    blocks: list[list[str]],
    *,
    confidence: float = 0.9,
    dpi: int | None = 300,
    width: int = 1000,
    height: int = 1400,
) -> Page:
    """A page whose blocks hold the given lines, each word boxed on a monospace grid."""
    built: list[Block] = []
    y = MARGIN
    for block_lines in blocks:
        lines: list[Line] = []
        for text in block_lines:
            words: list[Word] = []
            x = MARGIN
            for token in text.split():
                box = BBox(x0=x, y0=y, x1=x + CHAR_WIDTH * len(token), y1=y + LINE_HEIGHT - 5)
                words.append(Word(text=token, bbox=box, confidence=confidence))
                x = box.x1 + CHAR_WIDTH
            lines.append(Line(bbox=BBox.union(w.bbox for w in words), words=words))
            y += LINE_HEIGHT
        built.append(Block(bbox=BBox.union(line.bbox for line in lines), lines=lines))
        y += BLOCK_GAP
    return Page(
        number=number,
        width=width,
        height=height,
        dpi=dpi,
        blocks=built,
        confidence=confidence if built else None,
        engine="tesseract",
        languages=["eng"],
        seconds=0.25,
    )


def make_document(pages: list[list[list[str]]], *, source: str | None = "scan.pdf") -> Document:
    """A document with one page per entry of ``pages`` (blocks of lines of words)."""
    return Document.from_pages(
        [make_page(number, blocks) for number, blocks in enumerate(pages, 1)], source=source
    )


def word_at(text: str, x: int, y: int, *, height: int = LINE_HEIGHT - 5) -> Word:
    """A word whose box starts at (x, y), as wide as its characters on the grid."""
    box = BBox(x0=x, y0=y, x1=x + CHAR_WIDTH * len(text), y1=y + height)
    return Word(text=text, bbox=box, confidence=0.9)


def cells_line(cells: list[tuple[int, str]], y: int, *, height: int = LINE_HEIGHT - 5) -> Line:
    """A line holding each ``(x, text)`` of ``cells`` at x, its words a space apart."""
    words: list[Word] = []
    for x, text in cells:
        left = x
        for token in text.split():
            words.append(word_at(token, left, y, height=height))
            left = words[-1].bbox.x1 + CHAR_WIDTH
    return Line(bbox=BBox.union(w.bbox for w in words), words=words)


def block_of(lines: list[Line]) -> Block:
    return Block(bbox=BBox.union(line.bbox for line in lines), lines=lines)


def page_of(blocks: list[Block], *, languages: list[str] | None = None, number: int = 1) -> Page:
    """A 1000 x 1400 page at 300 DPI holding ``blocks``."""
    return Page(
        number=number,
        width=1000,
        height=1400,
        dpi=300,
        blocks=blocks,
        confidence=0.9 if blocks else None,
        engine="tesseract",
        languages=languages or ["eng"],
        seconds=0.25,
    )


def text_block(lines: list[str], y: int, *, height: int = LINE_HEIGHT - 5) -> Block:
    """A block of running text at the left margin from y down, words of the given height."""
    return block_of(
        [
            cells_line([(MARGIN, text)], y + i * (height + 5), height=height)
            for i, text in enumerate(lines)
        ]
    )
