"""Fields as CSV (one row per field) and XML, for spreadsheets and document systems."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

from untxt.extract.model import Extraction, FieldValue

XML_NAMESPACE = "https://untxt.dev/schemas/fields-1"
CSV_COLUMNS = (
    "field",
    "type",
    "value",
    "content",
    "confidence",
    "page",
    "x0",
    "y0",
    "x1",
    "y1",
    "words",
    "source",
    "corrected_by",
    "corrected_at",
    "extracted_value",
)


def _rows(extraction: Extraction) -> Iterator[tuple[str, FieldValue]]:
    yield from extraction.fields.items()
    for index, item in enumerate(extraction.items):
        for name, value in item.items():
            yield f"Items/{index}/{name}", value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def render_csv(extraction: Extraction) -> str:
    """One row per field, item fields as ``Items/<index>/<name>``; the first row after
    the header gives the document type and its confidence."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(
        ["document_type", "string", extraction.document_type, "", extraction.type_confidence]
        + [""] * (len(CSV_COLUMNS) - 5)
    )
    for name, field in _rows(extraction):
        box = field.bbox
        correction = field.correction
        writer.writerow(
            [
                name,
                field.type,
                _text(field.value),
                field.content,
                f"{field.confidence:g}",
                _text(field.page),
                *([box.x0, box.y0, box.x1, box.y1] if box else ["", "", "", ""]),
                " ".join(field.words),
                field.source,
                correction.by if correction else "",
                correction.at.isoformat() if correction else "",
                _text(correction.extracted_value) if correction else "",
            ]
        )
    return out.getvalue()


def _field_element(parent: ET.Element, name: str, field: FieldValue) -> None:
    attributes = {
        "name": name,
        "type": field.type,
        "confidence": f"{field.confidence:g}",
        "source": field.source,
    }
    if field.page is not None:
        attributes["page"] = str(field.page)
    if field.bbox is not None:
        box = field.bbox
        attributes["bbox"] = f"{box.x0} {box.y0} {box.x1} {box.y1}"
    element = ET.SubElement(parent, "field", attributes)
    ET.SubElement(element, "value").text = _text(field.value)
    ET.SubElement(element, "content").text = field.content
    if field.words:
        ET.SubElement(element, "words").text = " ".join(field.words)
    if field.correction is not None:
        correction = field.correction
        ET.SubElement(
            element,
            "correction",
            {"by": correction.by, "at": correction.at.isoformat()},
        ).text = json.dumps(correction.extracted_value)


def render_xml(extraction: Extraction) -> str:
    """The fields as XML: ``<fields>`` of ``<field>``, then ``<items>`` and ``<warnings>``."""
    root = ET.Element(
        "fields",
        {
            "xmlns": XML_NAMESPACE,
            "document_type": extraction.document_type,
            "type_confidence": f"{extraction.type_confidence:g}",
        },
    )
    if extraction.document_subtype:
        root.set("document_subtype", extraction.document_subtype)
    for name, field in extraction.fields.items():
        _field_element(root, name, field)
    if extraction.items:
        items = ET.SubElement(root, "items")
        for index, item in enumerate(extraction.items):
            element = ET.SubElement(items, "item", {"index": str(index)})
            for name, field in item.items():
                _field_element(element, name, field)
    if extraction.warnings:
        warnings = ET.SubElement(root, "warnings")
        for warning in extraction.warnings:
            ET.SubElement(warnings, "warning").text = warning
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_json(extraction: Extraction) -> str:
    return json.dumps(extraction.dump(), ensure_ascii=False)


#: Each way fields are served: renderer and media type.
FIELD_FORMATS = {
    "json": (render_json, "application/json"),
    "csv": (render_csv, "text/csv; charset=utf-8"),
    "xml": (render_xml, "application/xml; charset=utf-8"),
}
