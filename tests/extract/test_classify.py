"""Which kind of document it is: the words each kind prints, and a till roll's shape."""

from __future__ import annotations

import pytest

from tests.formats.documents import make_document
from untxt.extract import extract_fields

RECEIPT = ["CORNER CAFE", "Cashier: 3", "2 LATTE 7.00", "TOTAL 7.00", "CASH 10.00", "CHANGE 3.00"]
INVOICE = [
    "Acme Consulting Ltd",
    "INVOICE",
    "Invoice No: 2024-118",
    "Bill To: Northwind Traders",
    "Due Date: 30/06/2024",
    "Payment Terms: Net 30",
    "Total Due 1,250.00",
]
ELECTRICITY = [
    "City Power & Light",
    "Account Number: 0044-1182",
    "Billing period 01/05/2024 - 31/05/2024",
    "Meter reading 10432 kWh",
    "Electricity used 412 kWh",
    "Amount Due 96.20",
    "Due Date: 15/06/2024",
]
VIETNAMESE = [
    "HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
    "Ký hiệu: 1C24TAA Số: 0000123",
    "Đơn vị bán hàng: CÔNG TY TNHH AN PHÁT",
    "Mã số thuế: 0101234567",
    "Tổng tiền thanh toán: 5.500.000",
]


@pytest.mark.parametrize(
    ("lines", "kind"),
    [
        (RECEIPT, "receipt"),
        (INVOICE, "invoice"),
        (ELECTRICITY, "utility_bill"),
        (VIETNAMESE, "invoice"),
        (["Minutes of the board meeting", "Present: all members"], "other"),
    ],
)
def test_documents_are_classified_by_what_they_print(lines: list[str], kind: str) -> None:
    extraction = extract_fields(make_document([[lines]]), ["auto"])
    assert extraction.document_type == kind
    assert 0 < extraction.type_confidence <= 1


def test_a_utility_bill_names_its_utility() -> None:
    extraction = extract_fields(make_document([[ELECTRICITY]]), ["auto"])
    assert extraction.document_subtype == "electricity"
    fields = extraction.fields
    assert fields["AccountNumber"].value == "0044-1182"
    assert (fields["ServiceStartDate"].value, fields["ServiceEndDate"].value) == (
        "2024-05-01",
        "2024-05-31",
    )
    assert fields["AmountDue"].value == 96.2


def test_a_receipt_for_bottled_water_is_no_water_bill() -> None:
    lines = ["MINI MART", "Cashier: 2", "MINERAL WATER 1.50", "TOTAL 1.50", "CASH 2.00"]
    assert extract_fields(make_document([[lines]]), ["auto"]).document_type == "receipt"


def test_a_type_asked_for_by_name_is_taken_as_sure() -> None:
    extraction = extract_fields(make_document([[RECEIPT]]), ["invoice"])
    assert (extraction.document_type, extraction.type_confidence) == ("invoice", 1.0)
    assert extraction.fields["InvoiceTotal"].value == 7.0


def test_other_documents_get_no_fields() -> None:
    extraction = extract_fields(make_document([[["Dear Sir,", "Thank you."]]]), ["auto"])
    assert (extraction.document_type, extraction.fields, extraction.items) == ("other", {}, [])
