"""JSON renderer: the Document model itself, and the published schema that describes it.

Run ``python -m tests.formats.test_json`` to regenerate ``docs/document.schema.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from tests.formats.documents import make_document, make_page
from untxt.document import SCHEMA_ID, Document
from untxt.formats import FORMATS, render
from untxt.formats.alto import render_alto
from untxt.formats.hocr import render_hocr
from untxt.formats.html import render_html
from untxt.formats.json import document_schema, render_json
from untxt.formats.markdown import render_markdown
from untxt.formats.pdf import render_pdf
from untxt.formats.text import render_text
from untxt.options import ALL_FORMATS

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "document.schema.json"
REGENERATE = ".venv/bin/python -m tests.formats.test_json"


def schema_text() -> str:
    """The exact contents ``docs/document.schema.json`` must have."""
    return json.dumps(document_schema(), indent=2) + "\n"


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a ``$ref`` (directly or through ``anyOf``/``items``) to its definition."""
    for option in node.get("anyOf", []):
        if "$ref" in option or "items" in option:
            return _resolve(schema, option)
    if "items" in node:
        return _resolve(schema, node["items"])
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_json_round_trips_through_the_document_model() -> None:
    """Parsing the JSON output with the model gives back the same document."""
    document = make_document([[["INVOICE 12345"], ["TOTAL 99"]], [], [["Tiếng Việt"]]])

    assert Document.model_validate_json(render_json(document)) == document


def test_json_names_its_schema_under_the_public_key() -> None:
    """The top-level key is ``schema`` (not the Python field name) with the schema id."""
    data = json.loads(render_json(make_document([[["hello"]]])))

    assert data["schema"] == SCHEMA_ID
    assert "schema_" not in data


def test_json_carries_word_boxes_and_confidences() -> None:
    """Each word keeps its pixel box and its 0-1 confidence."""
    page = make_page(1, [["TOTAL 99"]], confidence=0.875)
    data = json.loads(render_json(Document.from_pages([page])))

    words = data["pages"][0]["blocks"][0]["lines"][0]["words"]
    expected = [w.model_dump() for w in page.words()]
    assert words == expected
    assert all(word["confidence"] == 0.875 for word in words)


def test_json_writes_unicode_as_characters() -> None:
    """Vietnamese text is written as UTF-8 characters, not ``\\u`` escapes."""
    output = render_json(make_document([[["Tiếng Việt có dấu"]]]))

    assert '"text":"Tiếng"' in output
    assert '"text":"Việt"' in output
    assert "\\u" not in output


def test_schema_file_matches_document_schema() -> None:
    """``docs/document.schema.json`` is what ``document_schema()`` says today."""
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE} is missing; regenerate it with: {REGENERATE}"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE} is out of date with untxt.formats.json.document_schema(); "
        f"regenerate it with: {REGENERATE}"
    )


def test_schema_describes_every_key_the_renderer_writes() -> None:
    """Top-level, page, block, line, word and box keys are all properties in the schema."""
    schema = document_schema()
    data = json.loads(render_json(make_document([[["INVOICE 12345"]]])))
    page = data["pages"][0]
    block = page["blocks"][0]
    line = block["lines"][0]
    word = line["words"][0]

    page_schema = _resolve(schema, schema["properties"]["pages"])
    block_schema = _resolve(schema, page_schema["properties"]["blocks"])
    line_schema = _resolve(schema, block_schema["properties"]["lines"])
    word_schema = _resolve(schema, line_schema["properties"]["words"])
    box_schema = _resolve(schema, word_schema["properties"]["bbox"])
    for node, node_schema in [
        (data, schema),
        (page, page_schema),
        (block, block_schema),
        (line, line_schema),
        (word, word_schema),
        (word["bbox"], box_schema),
    ]:
        assert set(node) == set(node_schema["properties"])
    assert schema["properties"]["schema"]["const"] == SCHEMA_ID
    assert schema["$id"].startswith("https://")


def test_every_job_output_format_has_a_renderer() -> None:
    """Each format a job may ask for is registered and dispatched by name."""
    document = make_document([[["hello world"]]])
    renderers = {
        "json": render_json,
        "text": render_text,
        "markdown": render_markdown,
        "hocr": render_hocr,
        "alto": render_alto,
        "html": render_html,
    }
    images = [Image.new("L", (page.width, page.height), "white") for page in document.pages]

    assert set(FORMATS) == set(ALL_FORMATS) == {*renderers, "pdf"}
    for name, renderer in renderers.items():
        assert render(name, document) == renderer(document).encode()
    assert render("pdf", document, images) == render_pdf(document, images)


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
