"""JSON: the whole Document model, as described by ``docs/document.schema.json``."""

from __future__ import annotations

import json
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


def with_fields(rendered: bytes, fields: dict[str, Any]) -> bytes:
    """A rendered ``json`` result with the document's fields added as ``fields``.

    Fields are kept apart from the stored result, as corrections change them; they
    are joined to it when served, without parsing the (possibly large) document.
    """
    body = rendered.rstrip()
    if not body.endswith(b"}"):
        raise ValueError("not a JSON object")
    addition = json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()
    return body[:-1] + b',"fields":' + addition + b"}"
