"""The Document model: boxes, text joins, page assembly, validation and the public schema key."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from untxt.document import SCHEMA_ID, BBox, Block, Document, Line, Page, Word, mean_confidence


def _word(text: str, x0: int, y0: int, confidence: float = 0.9) -> Word:
    return Word(
        text=text,
        bbox=BBox(x0=x0, y0=y0, x1=x0 + 10 * len(text), y1=y0 + 20),
        confidence=confidence,
    )


def _page(number: int, lines: list[list[Word]], *, seconds: float = 0.5) -> Page:
    built = [Line(bbox=BBox.union(w.bbox for w in words), words=words) for words in lines]
    blocks = [Block(bbox=BBox.union(line.bbox for line in built), lines=built)] if built else []
    return Page(
        number=number,
        width=500,
        height=700,
        blocks=blocks,
        engine="tesseract",
        languages=["eng"],
        seconds=seconds,
    )


def test_bbox_union_is_the_smallest_box_holding_all() -> None:
    """The union spans the extreme edges of its boxes."""
    boxes = [BBox(x0=10, y0=50, x1=30, y1=60), BBox(x0=5, y0=70, x1=25, y1=90)]

    assert BBox.union(boxes) == BBox(x0=5, y0=50, x1=30, y1=90)
    assert BBox.union(iter(boxes)) == BBox.union(boxes)


def test_bbox_union_of_nothing_is_refused() -> None:
    """There is no box around zero boxes."""
    with pytest.raises(ValueError, match="no boxes"):
        BBox.union([])


@pytest.mark.parametrize("confidence", [-0.01, 1.01, 95.0])
def test_word_confidence_outside_zero_to_one_is_refused(confidence: float) -> None:
    """Confidences are fractions; a percentage or a negative value is invalid."""
    with pytest.raises(ValidationError):
        _word("x", 0, 0, confidence=confidence)


def test_unknown_fields_are_refused() -> None:
    """The model forbids extra keys, so typos in stored JSON do not pass silently."""
    with pytest.raises(ValidationError):
        Word.model_validate(
            {"text": "a", "bbox": {"x0": 0, "y0": 0, "x1": 1, "y1": 1}, "confidence": 1, "x": 2}
        )


def test_models_are_immutable() -> None:
    """Renderers share documents; none can change one in place."""
    word = _word("a", 0, 0)

    with pytest.raises(ValidationError):
        word.text = "b"  # type: ignore[misc]


def test_page_numbers_and_sizes_must_be_positive() -> None:
    """Pages are 1-based and have at least one pixel each way."""
    for bad in ({"number": 0}, {"width": 0}, {"height": 0}, {"seconds": -1}):
        values = {"number": 1, "width": 1, "height": 1, "engine": "e", "languages": []}
        values.update(bad)
        with pytest.raises(ValidationError):
            Page.model_validate({"seconds": 0, **values})


def test_text_joins_words_with_spaces_lines_with_newlines_blocks_with_blank_lines() -> None:
    """Line, block and page text follow reading order with the documented separators."""
    first = Line(bbox=BBox(x0=0, y0=0, x1=1, y1=1), words=[_word("INVOICE", 0, 0)])
    second = Line(
        bbox=BBox(x0=0, y0=0, x1=1, y1=1), words=[_word("No", 0, 30), _word("12345", 40, 30)]
    )
    block = Block(bbox=BBox(x0=0, y0=0, x1=1, y1=1), lines=[first, second])
    page = _page(1, [[_word("TOTAL", 0, 100)]])
    combined = page.model_copy(update={"blocks": [block, *page.blocks]})

    assert second.text == "No 12345"
    assert block.text == "INVOICE\nNo 12345"
    assert combined.text == "INVOICE\nNo 12345\n\nTOTAL"
    assert [w.text for w in combined.words()] == ["INVOICE", "No", "12345", "TOTAL"]


def test_from_pages_orders_pages_and_sums_their_time() -> None:
    """Pages may arrive in any order; the document lists them by number."""
    pages = [_page(3, [], seconds=0.25), _page(1, [], seconds=0.5), _page(2, [], seconds=1.0)]

    document = Document.from_pages(pages, source="scan.tiff")

    assert [p.number for p in document.pages] == [1, 2, 3]
    assert document.seconds == 1.75
    assert document.source == "scan.tiff"


def test_document_confidence_is_the_mean_over_all_words_of_all_pages() -> None:
    """Every word weighs the same, whichever page it is on."""
    one = _page(1, [[_word("a", 0, 0, 0.5)]])
    two = _page(2, [[_word("b", 0, 0, 1.0), _word("c", 20, 0, 1.0), _word("d", 40, 0, 1.0)]])

    assert Document.from_pages([one, two]).confidence == 0.875


def test_document_without_words_has_no_confidence() -> None:
    """Blank pages give ``None``, not zero: nothing was read, nothing was doubted."""
    assert Document.from_pages([_page(1, [])]).confidence is None


def test_mean_confidence_rounds_to_four_places() -> None:
    """Confidence means are stored rounded; an empty input has no mean."""
    assert mean_confidence([0.1, 0.2, 0.2]) == 0.1667
    assert mean_confidence([]) is None


def test_document_serialises_its_schema_id_under_schema() -> None:
    """The public key is ``schema``; it parses back by that name or the field name."""
    document = Document.from_pages([_page(1, [[_word("a", 0, 0)]])])

    dumped = document.model_dump(by_alias=True)

    assert dumped["schema"] == SCHEMA_ID
    assert Document.model_validate(dumped) == document
    assert Document(schema_=SCHEMA_ID, pages=[], seconds=0).schema_ == SCHEMA_ID


def test_document_with_another_schema_id_is_refused() -> None:
    """A document of a future, incompatible schema does not parse as this one."""
    with pytest.raises(ValidationError):
        Document.model_validate({"schema": "untxt.document/2", "pages": [], "seconds": 0})
