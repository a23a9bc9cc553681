"""JSON: the whole Document model, as described by ``docs/document.schema.json``."""

from __future__ import annotations

from typing import Any

from untxt.document import Document


def render_json(document: Document) -> str:
    """The Document model as JSON."""
    return document.model_dump_json(by_alias=True)


def document_schema() -> dict[str, Any]:
    """JSON Schema of the ``json`` format."""
    schema = Document.model_json_schema(by_alias=True, mode="serialization")
    schema["$id"] = "https://untxt.dev/schemas/document-1.json"
    return schema
