"""Fields as CSV and XML: one row per field, items by index, corrections beside them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from tests.formats.documents import make_document
from untxt.extract import Extraction, extract_fields
from untxt.extract.corrections import Applied, apply_corrections
from untxt.extract.export import CSV_COLUMNS, XML_NAMESPACE, render_csv, render_xml

LINES = ['"QUOTE" & CO <LTD>', "RECEIPT", "1 x 2.50 TEA, GREEN 2.50", "TOTAL 2.50"]


def _extraction() -> Extraction:
    extraction = extract_fields(make_document([[LINES]]), ["receipt"])
    at = datetime(2024, 1, 1, tzinfo=UTC)
    return apply_corrections(extraction, [Applied("Total", 3.0, "alice", at)])


def test_csv_has_a_row_for_the_type_then_one_per_field() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(_extraction()))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[1][:3] == ["document_type", "string", "receipt"]
    by_name = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert by_name["MerchantName"]["value"] == '"QUOTE" & CO <LTD>'
    assert by_name["Items/0/Description"]["value"] == "TEA, GREEN"
    total = by_name["Total"]
    assert (total["value"], total["content"], total["source"]) == ("3", "2.50", "manual")
    assert (total["corrected_by"], total["extracted_value"]) == ("alice", "2.5")
    assert total["words"].startswith("p1w")


def test_xml_escapes_text_and_nests_items() -> None:
    root = ET.fromstring(render_xml(_extraction()))
    ns = {"f": XML_NAMESPACE}
    assert root.tag == f"{{{XML_NAMESPACE}}}fields"
    name = root.find("f:field[@name='MerchantName']", ns)
    assert name is not None and name.findtext("f:value", namespaces=ns) == '"QUOTE" & CO <LTD>'
    total = root.find("f:field[@name='Total']", ns)
    assert total is not None
    correction = total.find("f:correction", ns)
    assert correction is not None and correction.get("by") == "alice" and correction.text == "2.5"
    item = root.find("f:items/f:item[@index='0']", ns)
    assert item is not None
    assert item.findtext("f:field[@name='TotalPrice']/f:content", namespaces=ns) == "2.50"
