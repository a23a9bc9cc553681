"""``untxt ocr --extract``: fields here and now, the same JSON the API serves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import samples
from untxt.cli import app

runner = CliRunner()
RECEIPT = [
    "HILLTOP BAKERY LTD",
    "4 MILL LANE, HEXHAM",
    "RECEIPT",
    "Date: 09/11/2020",
    "2 x 1.25 ROLLS 2.50",
    "TOTAL 2.50",
    "CASH 5.00",
    "CHANGE 2.50",
]
TEMPLATE = """\
issuer: Hilltop Bakery
keywords: [HILLTOP]
required_fields: [amount, date]
fields:
  amount: TOTAL\\s+(\\d+\\.\\d\\d)
  date: Date:\\s*(\\d\\d/\\d\\d/\\d{4})
options:
  currency: GBP
  date_formats: ['%d/%m/%Y']
"""


@pytest.fixture
def receipt(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.png"
    path.write_bytes(samples.png(RECEIPT, size=34))
    return path


def test_format_fields_prints_the_extracted_fields(receipt: Path) -> None:
    result = runner.invoke(
        app, ["ocr", str(receipt), "--engine", "tesseract", "--extract", "auto", "-f", "fields"]
    )
    assert result.exit_code == 0, result.output
    fields = json.loads(result.stdout)
    assert fields["document_type"] == "receipt"
    assert fields["fields"]["MerchantName"]["value"] == "HILLTOP BAKERY LTD"
    assert fields["fields"]["Total"]["value"] == 2.5
    assert fields["fields"]["TransactionDate"]["value"] == "2020-11-09"


def test_json_with_extract_holds_the_fields_beside_the_document(receipt: Path) -> None:
    result = runner.invoke(
        app, ["ocr", str(receipt), "--engine", "tesseract", "-x", "receipt", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["pages"] and document["fields"]["fields"]["Total"]["value"] == 2.5


def test_fields_as_csv_into_a_folder_and_templates_from_files(
    receipt: Path, tmp_path: Path
) -> None:
    template = tmp_path / "hilltop.yml"
    template.write_text(TEMPLATE)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "ocr",
            str(receipt),
            str(receipt),
            "--engine",
            "tesseract",
            "-f",
            "fields-csv",
            "--template",
            str(template),
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    text = (out / "receipt.csv").read_text()
    assert "Total,amount,2.5,2.50" in text
    assert "template:Hilltop Bakery" in text
    assert "Currency,currency,GBP" in text


def test_bad_extract_values_and_templates_are_refused(receipt: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ocr", str(receipt), "--extract", "passport"])
    assert result.exit_code == 1
    assert "passport" in result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("keywords: [X]\nfields:\n  amount: Total (\\d+\n")
    result = runner.invoke(app, ["ocr", str(receipt), "-f", "fields", "--template", str(broken)])
    assert result.exit_code == 1
    assert "broken.yml" in result.stderr and "line 3" in result.stderr
