"""A legal form misread with digits for letters is read as the form it must be."""

from __future__ import annotations

import pytest

from tests.extract.test_receipt import RECEIPT, _receipt
from untxt.extract.legal_forms import read_legal_form


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("99 SPEED MART 5/B", "99 SPEED MART S/B"),
        ("SUNRISE KITCHEN SDN 8HD", "SUNRISE KITCHEN SDN BHD"),
        ("SUNRISE KITCHEN 5DN BHD", "SUNRISE KITCHEN SDN BHD"),
        ("Acme Trading co., 1td", "Acme Trading co., ltd"),
        ("ACME C0RP.", "ACME CORP."),
    ],
)
def test_digits_in_a_trailing_legal_form_are_read_as_the_letters_they_resemble(
    read: str, printed: str
) -> None:
    assert read_legal_form(read) == printed


@pytest.mark.parametrize(
    "name",
    [
        "BLOCK 5A",  # too short to tell from a unit number
        "KEDAI 88",  # no letter in the word
        "LOT 5/8",
        "ROOM 501",
        "7 ELEVEN",  # a digit that is not in the legal form
        "CAFE 8EAN",  # reads as no legal form
        "SUNRISE KITCHEN SDN BHD",
    ],
)
def test_a_name_without_a_misread_legal_form_is_left_as_read(name: str) -> None:
    assert read_legal_form(name) == name


def test_the_merchant_name_reads_its_misread_legal_form_in_value_and_content() -> None:
    lines = [block[:] for block in RECEIPT]
    lines[0][1:3] = ["SUNRISE KITCHEN 5/B (123456-A)"]
    name = _receipt(lines).fields["MerchantName"]
    assert name.content == name.value == "SUNRISE KITCHEN S/B"
    assert len(name.words) == 3
