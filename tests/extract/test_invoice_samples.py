"""The synthetic invoices themselves: enough of them, both languages, sums that add up, stable."""

from __future__ import annotations

from datetime import date

import pytest

from tests.extract.invoice_text import vietnamese_words
from tests.extract.invoices import InvoiceSample, invoice_samples, png_bytes


def _number(value: object) -> float:
    assert isinstance(value, float)
    return value


@pytest.fixture(scope="module")
def samples() -> list[InvoiceSample]:
    return invoice_samples()


def test_enough_invoices_in_both_languages_and_every_currency(
    samples: list[InvoiceSample],
) -> None:
    assert len(samples) >= 24
    assert len({sample.name for sample in samples}) == len(samples)
    languages = [sample.languages for sample in samples]
    assert languages.count(("eng",)) >= 14
    assert languages.count(("vie", "eng")) >= 8
    currencies = {sample.fields["Currency"] for sample in samples}
    assert currencies == {"USD", "EUR", "GBP", "SGD", "MYR", "VND"}


def test_amounts_add_up(samples: list[InvoiceSample]) -> None:
    for sample in samples:
        fields = sample.fields
        for item in sample.items:
            amount = _number(item["Quantity"]) * _number(item["UnitPrice"])
            assert amount == pytest.approx(_number(item["Amount"]), abs=0.005), sample.name
        lines = sum(_number(item["Amount"]) for item in sample.items)
        assert lines == pytest.approx(_number(fields["SubTotal"]), abs=0.005), sample.name
        total = (
            _number(fields["SubTotal"])
            - _number(fields.get("TotalDiscount", 0.0))
            + _number(fields["TotalTax"])
        )
        assert total == pytest.approx(_number(fields["InvoiceTotal"]), abs=0.005), sample.name
        assert _number(fields.get("AmountDue", 0.0)) <= _number(fields["InvoiceTotal"])


def test_dates_and_ibans_are_well_formed(samples: list[InvoiceSample]) -> None:
    for sample in samples:
        issued = date.fromisoformat(str(sample.fields["InvoiceDate"]))
        if "DueDate" in sample.fields:
            assert date.fromisoformat(str(sample.fields["DueDate"])) >= issued
        if "IBAN" in sample.fields:
            code = str(sample.fields["IBAN"])
            digits = "".join(str(int(ch, 36)) for ch in code[4:] + code[:4])
            assert int(digits) % 97 == 1, sample.name


def test_amounts_in_vietnamese_words(samples: list[InvoiceSample]) -> None:
    assert vietnamese_words(5_500_000) == "Năm triệu năm trăm nghìn đồng"
    assert vietnamese_words(1_015_000) == "Một triệu không trăm mười lăm nghìn đồng"
    assert vietnamese_words(21_105_000) == "Hai mươi mốt triệu một trăm linh năm nghìn đồng"
    assert vietnamese_words(2_000_000_300) == "Hai tỷ ba trăm đồng"
    for sample in samples:
        if "AmountInWords" in sample.fields:
            total = int(_number(sample.fields["InvoiceTotal"]))
            assert sample.fields["AmountInWords"] == vietnamese_words(total)


def test_the_same_pages_every_time(samples: list[InvoiceSample]) -> None:
    again = invoice_samples()
    assert [s.fields for s in again] == [s.fields for s in samples]
    assert png_bytes(again[0]) == png_bytes(samples[0])


def test_an_invoice_asked_for_by_name_is_the_same_page_as_among_all(
    samples: list[InvoiceSample],
) -> None:
    wanted = [samples[3], samples[-1]]
    alone = invoice_samples([sample.name for sample in wanted])
    assert [s.name for s in alone] == [s.name for s in wanted]
    assert [s.fields for s in alone] == [s.fields for s in wanted]
    assert [png_bytes(s) for s in alone] == [png_bytes(s) for s in wanted]
