"""Corrections: typed values, applied in order, the extracted value kept beside them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.formats.documents import make_document
from untxt.extract import Extraction, extract_fields
from untxt.extract.corrections import (
    Applied,
    CorrectionError,
    apply_corrections,
    check_corrections,
    summarize,
)

LINES = ["CAFÉ ÉTOILE SARL", "RECEIPT", "Date: 03/02/2024", "2 x 3.00 CROISSANT 6.00", "TOTAL 6.00"]
AT = datetime(2024, 2, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def extraction() -> Extraction:
    return extract_fields(make_document([[LINES]]), ["receipt"])


def test_values_are_checked_against_the_fields_kind(extraction: Extraction) -> None:
    checked = check_corrections(
        extraction,
        {"Total": "6.5", "TransactionDate": "2024-02-03", "Currency": "eur", "Tip": None},
    )
    assert checked == {
        "Total": 6.5,
        "TransactionDate": "2024-02-03",
        "Currency": "EUR",
        "Tip": None,
    }
    for bad in ({"Total": True}, {"TransactionDate": "3rd Feb"}, {"Items/5/Description": "x"}):
        with pytest.raises(CorrectionError):
            check_corrections(extraction, bad)


def test_the_last_correction_wins_and_the_first_extracted_value_is_kept(
    extraction: Extraction,
) -> None:
    corrected = apply_corrections(
        extraction,
        [Applied("Total", 7.0, "alice", AT), Applied("Total", 7.5, "bob", AT)],
    )
    total = corrected.fields["Total"]
    assert (total.value, total.source, total.confidence) == (7.5, "manual", 1.0)
    assert total.correction is not None
    assert (total.correction.by, total.correction.extracted_value) == ("bob", 6.0)
    assert total.correction.extracted_content == "6.00"
    assert total.words == extraction.fields["Total"].words  # still points at the page


def test_a_field_not_extracted_can_be_set_and_one_cleared(extraction: Extraction) -> None:
    corrected = apply_corrections(
        extraction,
        [Applied("TotalTax", 0.5, "alice", AT), Applied("TransactionDate", None, "alice", AT)],
    )
    assert corrected.fields["TotalTax"].value == 0.5
    assert corrected.fields["TotalTax"].content == ""
    assert corrected.fields["TransactionDate"].value is None


def test_the_summary_holds_what_lists_show_with_a_folded_vendor(extraction: Extraction) -> None:
    summary = summarize(apply_corrections(extraction, [Applied("Total", 9.99, "a", AT)]))
    assert summary.vendor == "CAFÉ ÉTOILE SARL"
    assert summary.vendor_key == "cafe etoile sarl"
    assert summary.document_date == date(2024, 2, 3)
    assert summary.total == Decimal("9.9900")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"Total": "six"}, "'six' is not a number (write it as 1234.50)"),
        ({"TransactionDate": "yesterday"}, "'yesterday' is not a date as YYYY-MM-DD"),
        ({"TransactionTime": "noon"}, "'noon' is not a time as HH:MM or HH:MM:SS"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_in_words(
    extraction: Extraction, changes: dict[str, object], words: str
) -> None:
    with pytest.raises(CorrectionError) as refused:
        check_corrections(extraction, changes)
    assert str(refused.value).endswith(words)
