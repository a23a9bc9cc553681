"""Amounts as printed: decimal marks decided per document, currencies, what is money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from untxt.extract.amounts import decimal_mark, find_amounts, parse_number


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("1,234.56", ".", "1234.56"),
        ("1.234,56", ",", "1234.56"),
        ("5.000.000", ",", "5000000"),
        ("5,000,000", ".", "5000000"),
        ("500.000", ",", "500000"),
        ("12,50", ".", "12.50"),
        ("9.000", ".", "9.000"),
        ("1 234", ".", "1234"),
    ],
)
def test_numbers_read_with_the_documents_decimal_mark(text: str, mark: str, value: str) -> None:
    assert parse_number(text, mark) == Decimal(value)


def test_a_document_with_two_decimals_after_commas_writes_decimals_with_commas() -> None:
    assert decimal_mark("Summe 1.234,56 EUR\nMwSt 19,00 %\nNetto 1.037,45") == ","
    assert decimal_mark("Total 1,234.56\nTax 12.00") == "."


def test_groups_of_three_after_dots_are_thousands_in_vietnamese_money() -> None:
    assert decimal_mark("Cộng tiền hàng: 5.000.000\nTổng: 5.500.000") == ","


def test_without_evidence_the_first_language_decides() -> None:
    assert decimal_mark("Total 12", ["vie"]) == ","
    assert decimal_mark("Total 12", ["eng"]) == "."


def test_currency_signs_and_codes_name_the_currency() -> None:
    found = {
        text: find_amounts(text)[-1].currency
        for text in ("Total RM4.00", "CASH $8.20", "EUR 12.00", "12.00 €", "5.000 đ")
    }
    assert found == {
        "Total RM4.00": "MYR",
        "CASH $8.20": "USD",
        "EUR 12.00": "EUR",
        "12.00 €": "EUR",
        "5.000 đ": "VND",
    }


def test_a_currency_set_apart_by_a_space_is_not_part_of_the_printed_amount() -> None:
    text = "TOTAL RM 62.00 and RM4.00"
    spans = [text[a.start : a.end] for a in find_amounts(text)]
    assert spans == ["62.00", "RM4.00"]


def test_rates_dates_and_bare_counts_are_not_marked_as_money() -> None:
    text = "GST @6.00% on 14.1.18 qty 3 amount 12.00"
    found = find_amounts(text)
    assert [(text[a.start : a.end], a.marked) for a in found] == [("3", False), ("12.00", True)]


def test_brackets_and_minus_make_amounts_negative() -> None:
    assert [a.value for a in find_amounts("(1.20) and -2.78")] == [
        Decimal("-1.20"),
        Decimal("-2.78"),
    ]
