"""The Document model: pages > blocks > lines > words, each with a box and a confidence.

This is what engines produce and what every renderer consumes. Coordinates are
pixels of the page image as loaded (a raster file's own pixels, a PDF page
rendered at the job's DPI), origin at the top left, whatever preprocessing
turned, straightened or enlarged before recognition; ``dpi`` on the page
converts them to physical units. Confidences are between 0 and 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID: Final = "untxt.document/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BBox(_Model):
    """An axis-aligned box in page pixels: left, top, right, bottom."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def union(cls, boxes: Iterable[BBox]) -> BBox:
        """Smallest box containing all of ``boxes`` (which must not be empty)."""
        items = list(boxes)
        if not items:
            raise ValueError("union of no boxes")
        return cls(
            x0=min(b.x0 for b in items),
            y0=min(b.y0 for b in items),
            x1=max(b.x1 for b in items),
            y1=max(b.y1 for b in items),
        )


class Word(_Model):
    """One recognised word."""

    text: str
    bbox: BBox
    confidence: float = Field(ge=0, le=1)


class Line(_Model):
    """A line of words in reading order."""

    bbox: BBox
    words: list[Word]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


class Block(_Model):
    """A paragraph-like block of lines."""

    bbox: BBox
    lines: list[Line]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class Preprocessing(_Model):
    """What was done to a page image before recognition; boxes are mapped back regardless."""

    rotation: Literal[0, 90, 180, 270] = Field(
        0, description="Degrees the page was turned (clockwise) to stand upright."
    )
    skew: float = Field(0.0, description="Degrees the page was straightened by.")
    scale: float = Field(1.0, gt=0, description="Factor the image was enlarged by.")
    cleaned: bool = False


class Page(_Model):
    """One page as an engine read it (or as its PDF text layer gave it)."""

    number: int = Field(ge=1, description="1-based page number within the document.")
    width: int = Field(ge=1, description="Width of the page image, as loaded, in pixels.")
    height: int = Field(ge=1, description="Height of the page image, as loaded, in pixels.")
    dpi: int | None = Field(None, description="Resolution of that image, when known.")
    source: Literal["ocr", "text-layer"] = Field(
        "ocr", description="Recognised by an engine, or read from the PDF's own text."
    )
    preprocessing: Preprocessing = Field(default_factory=Preprocessing)
    blocks: list[Block] = Field(default_factory=list)
    confidence: float | None = Field(
        None, ge=0, le=1, description="Mean word confidence; null when the page has no words."
    )
    engine: str
    languages: list[str]
    seconds: float = Field(ge=0, description="Time spent recognising this page.")

    def words(self) -> Iterator[Word]:
        for block in self.blocks:
            for line in block.lines:
                yield from line.words

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


class Document(_Model):
    """A whole recognised document."""

    schema_: Literal["untxt.document/1"] = Field(SCHEMA_ID, alias="schema")
    pages: list[Page]
    confidence: float | None = Field(
        None, ge=0, le=1, description="Mean word confidence over all pages."
    )
    seconds: float = Field(ge=0, description="Sum of the pages' recognition times.")
    source: str | None = Field(None, description="Original file name, when known.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @classmethod
    def from_pages(cls, pages: Iterable[Page], *, source: str | None = None) -> Document:
        """Assemble a document, ordering pages and computing its mean confidence."""
        ordered = sorted(pages, key=lambda p: p.number)
        confidences = [w.confidence for p in ordered for w in p.words()]
        return cls(
            pages=ordered,
            confidence=mean_confidence(confidences),
            seconds=round(sum(p.seconds for p in ordered), 4),
            source=source,
        )


def mean_confidence(values: Iterable[float]) -> float | None:
    """Mean of ``values`` rounded to 4 places, or ``None`` for no values."""
    items = list(values)
    return round(sum(items) / len(items), 4) if items else None
