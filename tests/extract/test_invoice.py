"""Invoices read by real OCR: rendered English and Vietnamese invoices, field by field.

The invoices come from ``tests/extract/invoices.py``; these are clean pages of three
English layouts and a Vietnamese VAT invoice, each read as ``untxt ocr`` reads it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.extract.invoices import InvoiceSample, invoice_samples, png_bytes
from untxt.engines import EngineRegistry
from untxt.extract import Extraction, extract_fields
from untxt.extract.view import fold
from untxt.options import JobOptions
from untxt.pipeline import recognize_document

NAMES = ("en-classic-usd-1", "en-modern-gbp-12", "en-coded-eur-8", "vi-vat-vnd-1")


def _read(sample: InvoiceSample, engines: EngineRegistry) -> Extraction:
    options = JobOptions(languages=list(sample.languages))
    engine = engines.resolve("auto", options.languages, options.mode)
    document = recognize_document(
        png_bytes(sample),
        options.model_copy(update={"engine": engine}),
        engines.get(engine),
        max_pages=10,
        max_pixels=50_000_000,
        source=f"{sample.name}.png",
    )
    return extract_fields(document, ["auto"], languages=sample.languages)


@pytest.fixture(scope="module")
def read(engines: EngineRegistry) -> dict[str, tuple[InvoiceSample, Extraction]]:
    samples = {s.name: s for s in invoice_samples(NAMES)}
    return {name: (sample, _read(sample, engines)) for name, sample in samples.items()}


def _same(truth: Any, got: Any) -> bool:
    if isinstance(truth, float):
        return isinstance(got, int | float) and abs(got - truth) < 0.005
    # Text without accents: PP-OCR and Tesseract drop some of Vietnamese's stacked ones,
    # which is the engine's reading, not the extractor's.
    return " ".join(fold(str(got)).split()) == " ".join(fold(str(truth)).split())


@pytest.mark.parametrize("name", NAMES)
def test_every_printed_field_is_read(
    read: dict[str, tuple[InvoiceSample, Extraction]], name: str
) -> None:
    sample, extraction = read[name]
    assert extraction.document_type == "invoice"
    wrong = {
        field: (truth, extraction.fields[field].value if field in extraction.fields else None)
        for field, truth in sample.fields.items()
        if field not in extraction.fields or not _same(truth, extraction.fields[field].value)
    }
    assert wrong == {}
    for field in extraction.fields.values():
        assert field.source.startswith("rule:")
        assert field.words and field.page == 1 and field.bbox is not None


@pytest.mark.parametrize("name", NAMES)
def test_items_are_read_row_by_row(
    read: dict[str, tuple[InvoiceSample, Extraction]], name: str
) -> None:
    sample, extraction = read[name]
    assert len(extraction.items) == len(sample.items)
    for truth, got in zip(sample.items, extraction.items, strict=True):
        for field in ("Quantity", "UnitPrice", "Amount"):
            assert _same(truth[field], got[field].value), (field, truth, got)


def test_totals_agree_and_raise_confidence(
    read: dict[str, tuple[InvoiceSample, Extraction]],
) -> None:
    for _, extraction in read.values():
        assert extraction.warnings == []
        assert extraction.fields["InvoiceTotal"].confidence > 0.8


def test_vietnamese_labels_fill_series_tax_codes_and_amount_in_words(
    read: dict[str, tuple[InvoiceSample, Extraction]],
) -> None:
    sample, extraction = read["vi-vat-vnd-1"]
    fields = extraction.fields
    assert fields["InvoiceSeries"].value == sample.fields["InvoiceSeries"]
    assert fields["InvoiceDate"].content.lower().startswith("ngày")
    assert fields["Currency"].value == "VND"
    assert fields["InvoiceTotal"].value == sample.fields["InvoiceTotal"]
    assert fields["VendorTaxId"].source == "rule:vi-mst"
