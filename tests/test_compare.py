"""Agreement between engines' texts: word-level, in order, symmetric."""

from __future__ import annotations

import pytest

from untxt.compare import agreement, pairwise


def test_identical_texts_agree_fully_whatever_the_case_and_spacing() -> None:
    assert agreement("Total  AMOUNT\n12.50", "total amount 12.50") == 1.0


def test_texts_with_nothing_in_common_do_not_agree() -> None:
    assert agreement("invoice number", "receipt date") == 0.0


def test_one_word_misread_in_four_costs_a_quarter_of_both_sides() -> None:
    # 3 matching words of 4 + 4: 2 * 3 / 8.
    assert agreement("cash total 12.50 paid", "cash total 12.30 paid") == pytest.approx(0.75)


def test_order_matters() -> None:
    assert agreement("a b c d", "d c b a") < agreement("a b c d", "a b c e")


def test_empty_texts_agree_and_an_empty_one_disagrees_with_any_other() -> None:
    assert agreement("", " ") == 1.0
    assert agreement("", "words") == 0.0


def test_pairwise_covers_every_pair_once_and_is_symmetric() -> None:
    texts = {"tesseract": "a b c", "ppocr": "a b d", "other": "x y z"}

    pairs = pairwise(texts)

    assert [(p.a, p.b) for p in pairs] == [
        ("tesseract", "ppocr"),
        ("tesseract", "other"),
        ("ppocr", "other"),
    ]
    assert pairs[0].agreement == agreement(texts["ppocr"], texts["tesseract"])
