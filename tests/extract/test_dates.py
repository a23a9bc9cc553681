"""Dates and times as printed, in the orders documents write them."""

from __future__ import annotations

from datetime import date, time

import pytest

from untxt.extract.dates import date_order, find_dates, find_times
from untxt.extract.view import fold


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date : 25/12/2018 8:13 PM", date(2018, 12, 25)),
        ("2018-04-06 17:36:35", date(2018, 4, 6)),
        ("03 Mar 2018 18:22", date(2018, 3, 3)),
        ("March 3rd, 2018", date(2018, 3, 3)),
        ("Ngày 05 tháng 10 năm 2025", date(2025, 10, 5)),
        ("Ngay 5 thang 10 nam 2025", date(2025, 10, 5)),
        ("21-11-16", date(2016, 11, 21)),
        ("05.03.2025", date(2025, 3, 5)),
        ("12 Ogos 2019", date(2019, 8, 12)),
    ],
)
def test_dates_are_read_in_every_printed_form(text: str, expected: date) -> None:
    found = find_dates(fold(text))
    assert [f.value for f in found] == [expected]


def test_the_match_covers_the_printed_date_only() -> None:
    text = "Order Time : 13:19:29 Date :28/04/18"
    found = find_dates(fold(text))[0]
    assert text[found.start : found.end] == "28/04/18"


def test_an_ambiguous_date_follows_the_documents_other_dates() -> None:
    us = fold("Invoice date 12/25/2024\nDue 01/02/2025")
    assert date_order(us) == "mdy"
    assert [f.value for f in find_dates(us, date_order(us))] == [
        date(2024, 12, 25),
        date(2025, 1, 2),
    ]
    assert date_order(fold("01/02/2025")) == "dmy"
    assert date_order(fold("01/02/2025"), us=True) == "mdy"
    assert find_dates(fold("01/02/2025"))[0].ambiguous


def test_impossible_dates_and_amounts_are_not_dates() -> None:
    assert find_dates(fold("31/02/2018 and 12.99 and 45/13/2020")) == []


def test_times_with_and_without_am_pm() -> None:
    text = fold("07:54PM then 12:49:00 and 7.30am; 12.99 is money")
    assert [t.value for t in find_times(text)] == [time(19, 54), time(12, 49), time(7, 30)]
