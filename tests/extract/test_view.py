"""The extractors' reading of a document: folding, word ids, spans and grounded values."""

from __future__ import annotations

import re

from tests.formats.documents import make_document
from untxt.extract.view import DocumentView, fold, grounded


def test_folding_drops_case_and_accents_but_keeps_every_offset() -> None:
    for text in ("Tổng tiền thanh toán", "HÓA ĐƠN GTGT", "İstanbul ﬁ", "Straße"):
        assert len(fold(text)) == len(text)
    assert fold("Tổng tiền thanh toán") == "tong tien thanh toan"
    assert fold("HÓA ĐƠN") == "hoa don"


def test_word_ids_count_each_pages_words_in_reading_order() -> None:
    view = DocumentView(make_document([[["a b"], ["c"]], [["d e"]]]))
    assert [[w.id for w in line.words] for line in view.lines] == [
        ["p1w0", "p1w1"],
        ["p1w2"],
        ["p2w0", "p2w1"],
    ]


def test_a_match_is_grounded_in_the_words_it_covers() -> None:
    view = DocumentView(make_document([[["Total : RM 12.50"]]]))
    line = view.lines[0]
    match = re.search(r"12\.50", line.text)
    assert match is not None
    field = grounded(
        [line.span(*match.span())], kind="amount", value=12.5, source="rule:test", certainty=1.0
    )
    assert field.content == "12.50"
    assert field.words == ["p1w3"]
    assert field.page == 1
    assert field.bbox == line.words[3].bbox
    assert field.confidence == 0.9  # the words' OCR confidence


def test_part_of_a_word_gets_its_share_of_the_words_box() -> None:
    view = DocumentView(make_document([[["Date:28/04/18"]]]))
    line = view.lines[0]
    box = line.box_of(5, 13)
    word = line.words[0].bbox
    assert box is not None
    assert word.x0 < box.x0 and box.x1 == word.x1
