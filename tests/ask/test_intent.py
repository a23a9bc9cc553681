"""Reading a question: its language, operation, subject and period, and what is left alone."""

from __future__ import annotations

import datetime as dt

import pytest

from untxt.ask.intent import question_language, read_question
from untxt.ask.periods import find_period

TODAY = dt.date(2026, 12, 5)


@pytest.mark.parametrize(
    ("question", "operation", "utility", "types"),
    [
        ("How much did we pay for electricity?", "sum", "electricity", ("utility_bill",)),
        ("Tổng tiền nước là bao nhiêu?", "sum", "water", ("utility_bill",)),
        ("How many receipts do we have?", "count", None, ("receipt",)),
        # "hóa đơn" names receipts, invoices and bills alike
        ("Có bao nhiêu hóa đơn?", "count", None, None),
        ("Bao nhiêu tiền điện thoại?", "sum", "telecom", ("utility_bill",)),
        ("When was the invoice issued?", "field", None, ("invoice", "utility_bill")),
        ("Tell me about the contract", None, None, None),
    ],
)
def test_the_operation_and_subject_are_read_in_english_and_vietnamese(
    question: str, operation: str | None, utility: str | None, types: tuple[str, ...] | None
) -> None:
    intent = read_question(question, today=TODAY)
    assert (intent.operation, intent.utility, intent.types) == (operation, utility, types)


def test_an_electronic_invoice_is_not_an_electricity_bill() -> None:
    """An e-invoice ("hóa đơn điện tử") names no utility: "điện" there is not power."""
    assert read_question("Có bao nhiêu hóa đơn điện tử?", today=TODAY).utility is None


def test_the_field_a_question_asks_for_is_named() -> None:
    assert read_question("Who sold us the printer?", today=TODAY).field == "vendor"
    assert read_question("What is the tax id of the supplier?", today=TODAY).field == "tax_id"
    assert read_question("When is the bill due?", today=TODAY).field == "due_date"


def test_the_language_is_vietnamese_with_or_without_accents() -> None:
    assert question_language("Tiền điện tháng 3?") == "vi"
    assert question_language("bao nhieu hoa don thang 3") == "vi"
    assert question_language("How much for power in March?") == "en"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("in march 2025", "2025-03-01", "2025-03-31"),
        ("in march", "2026-03-01", "2026-03-31"),  # the latest March up to today
        ("in december", "2026-12-01", "2026-12-31"),  # this month counts as named
        ("thang 3/2025", "2025-03-01", "2025-03-31"),
        ("thang 2 nam 2024", "2024-02-01", "2024-02-29"),
        ("from 2025-01-10 to 2025-02-20", "2025-01-10", "2025-02-20"),
        ("last month", "2026-11-01", "2026-11-30"),
        ("nam ngoai", "2025-01-01", "2025-12-31"),
        ("q2 2025", "2025-04-01", "2025-06-30"),
        ("during 2024", "2024-01-01", "2024-12-31"),
        ("2025-03", "2025-03-01", "2025-03-31"),
    ],
)
def test_periods_are_read(text: str, start: str, end: str) -> None:
    period = find_period(text, today=TODAY)
    assert period is not None
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize("text", ["what may we owe", "05/03/2025", "invoice 2025", "mar"])
def test_words_that_only_look_like_periods_are_none(text: str) -> None:
    """The verb "may", a day-month order that depends on the writer, a number."""
    assert find_period(text, today=TODAY) is None


def test_a_month_named_without_a_year_can_move_to_the_year_the_data_has() -> None:
    period = find_period("in march", today=TODAY)
    assert period is not None and period.month == 3
    moved = period.in_year(2025)
    assert (moved.start, moved.end, moved.label) == (
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 31),
        "March 2025",
    )
