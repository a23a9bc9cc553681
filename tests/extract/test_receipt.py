"""Receipts: merchant from the header, date and time, totals checked against each other."""

from __future__ import annotations

from tests.formats.documents import make_document
from untxt.extract import extract_fields
from untxt.extract.model import Extraction

RECEIPT = [
    [
        "0042",
        "SUNRISE KITCHEN",
        "SDN BHD (123456-A)",
        "NO 12, JALAN MERPATI 3,",
        "TAMAN BUNGA,",
        "43000 KAJANG,",
        "SELANGOR.",
        "TEL: 03-8734 1122",
        "GST ID: 000123456789",
    ],
    [
        "TAX INVOICE",
        "Receipt No: R-000981   Date: 14/03/2019 12:41:07",
        "Cashier: AMY",
    ],
    [
        "Qty Description Amount",
        "2 x 3.50 NASI LEMAK 7.00",
        "1 x 2.20 TEH TARIK 2.20",
    ],
    [
        "Sub Total 8.68",
        "GST 6% 0.52",
        "Total Incl. GST RM 9.20",
        "Rounding Adj 0.00",
        "CASH 10.00",
        "CHANGE 0.80",
        "THANK YOU PLEASE COME AGAIN",
    ],
]


def _receipt(lines: list[list[str]] = RECEIPT) -> Extraction:
    return extract_fields(make_document([lines]), ["auto"])


def test_a_till_receipt_is_classified_as_a_receipt() -> None:
    extraction = _receipt()
    assert extraction.document_type == "receipt"
    assert 0 < extraction.type_confidence <= 1


def test_merchant_name_joins_the_lines_of_its_legal_form_and_drops_the_registration() -> None:
    fields = _receipt().fields
    assert fields["MerchantName"].content == "SUNRISE KITCHEN SDN BHD"
    assert fields["MerchantName"].source == "rule:header-name"
    assert len(fields["MerchantName"].words) == 4


def test_the_address_runs_from_the_street_to_the_state_and_stops_at_the_phone() -> None:
    fields = _receipt().fields
    assert fields["MerchantAddress"].content == (
        "NO 12, JALAN MERPATI 3, TAMAN BUNGA, 43000 KAJANG, SELANGOR."
    )
    assert fields["MerchantPhone"].value == "03-8734 1122"
    assert fields["MerchantTaxId"].value == "000123456789"


def test_a_branch_area_printed_under_the_town_belongs_to_the_address() -> None:
    lines = [block[:] for block in RECEIPT]
    lines[0][4:7] = ["TAMAN BUNGA, 43000 KAJANG, SELANGOR", "0815-TMN SRI MUDA"]
    fields = _receipt(lines).fields
    assert fields["MerchantAddress"].content == (
        "NO 12, JALAN MERPATI 3, TAMAN BUNGA, 43000 KAJANG, SELANGOR 0815-TMN SRI MUDA"
    )
    # A line under the town that names no street or area is not the address's.
    lines[0][5] = "OPEN DAILY"
    fields = _receipt(lines).fields
    assert fields["MerchantAddress"].content == (
        "NO 12, JALAN MERPATI 3, TAMAN BUNGA, 43000 KAJANG, SELANGOR"
    )


def test_date_time_and_number_are_read_beside_their_labels() -> None:
    fields = _receipt().fields
    assert (fields["TransactionDate"].value, fields["TransactionDate"].content) == (
        "2019-03-14",
        "14/03/2019",
    )
    assert fields["TransactionTime"].value == "12:41:07"
    assert fields["ReceiptNumber"].value == "R-000981"


def test_the_strongest_total_label_wins_and_agrees_with_subtotal_and_tax() -> None:
    extraction = _receipt()
    fields = extraction.fields
    assert fields["Total"].value == 9.2
    assert fields["Total"].content == "9.20"
    assert fields["Subtotal"].value == 8.68
    assert fields["TotalTax"].value == 0.52
    assert fields["Currency"].value == "MYR"
    assert fields["PaymentMethod"].value == "Cash"
    assert extraction.warnings == []


def test_items_with_count_and_price() -> None:
    items = _receipt().items
    assert [
        (i["Description"].content, i["Quantity"].value, i["Price"].value, i["TotalPrice"].value)
        for i in items
    ] == [("NASI LEMAK", 2.0, 3.5, 7.0), ("TEH TARIK", 1.0, 2.2, 2.2)]


def test_a_total_that_is_not_subtotal_plus_tax_is_kept_but_flagged() -> None:
    lines = [block[:] for block in RECEIPT]
    lines[3][2] = "Total Incl. GST RM 19.20"
    extraction = _receipt(lines)
    assert extraction.fields["Total"].value == 19.2
    assert extraction.fields["Total"].confidence < _receipt().fields["Total"].confidence
    assert any("Total 19.20 is not Subtotal 8.68 + TotalTax 0.52" in w for w in extraction.warnings)


def test_a_rounding_line_just_after_the_total_gives_the_amount_paid() -> None:
    lines = [block[:] for block in RECEIPT]
    lines[3][2] = "Total Sales (Inclusive GST) RM 9.22"
    lines[3][3] = "Rounding RM 9.20"
    fields = _receipt(lines).fields
    assert fields["Total"].value == 9.2
    assert fields["Total"].source == "rule:rounded-total"


def test_partial_totals_are_not_the_total() -> None:
    lines = [
        ["ACME TRADING"],
        ["Total Qty: 3 45.00", "Total Sales (Excluding GST) : 42.45", "Total GST 2.55"],
        ["Total Sales (Inclusive of GST) : 45.00", "CASH 50.00"],
    ]
    assert _receipt(lines).fields["Total"].value == 45.0


def test_fields_a_receipt_does_not_print_are_left_out() -> None:
    fields = extract_fields(make_document([[["CORNER SHOP"], ["TOTAL 5.00"]]]), ["receipt"]).fields
    assert set(fields) == {"MerchantName", "Total"}


def test_a_name_runs_past_its_kind_of_business_to_its_legal_form_below() -> None:
    lines = [block[:] for block in RECEIPT]
    lines[0][1:3] = ["TAN BROTHERS HARDWARE", "ENTERPRISE (SETIA", "ALAM) SDN BHD"]
    fields = _receipt(lines).fields
    assert fields["MerchantName"].content == (
        "TAN BROTHERS HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    )
    # With no legal form below, the kind of business ends the name.
    lines[0][2:4] = ["NO 12, JALAN MERPATI 3,"]
    fields = _receipt(lines).fields
    assert fields["MerchantName"].content == "TAN BROTHERS HARDWARE"
