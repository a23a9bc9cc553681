"""Fields in ``untxt ocr``: extracted here and now, with templates read from files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from untxt.document import Document
from untxt.options import JobOptions

#: The fields formats of ``untxt ocr --format``: file extension and the served format.
FIELDS_FORMATS = {
    "fields": ("json", "json"),
    "fields-csv": ("csv", "csv"),
    "fields-xml": ("xml", "xml"),
}


@dataclass(frozen=True)
class LocalFields:
    """What ``untxt ocr`` extracts: the document types asked for and the templates given."""

    requested: list[str]
    templates: list[Any]

    @classmethod
    def load(cls, requested: Sequence[str], paths: Sequence[Path]) -> LocalFields:
        """Check the types asked for and parse the template files (errors name the file)."""
        if not requested:
            return cls([], [])
        from untxt.errors import InvalidTemplateError
        from untxt.extract import check_extract
        from untxt.extract.templates import parse_template

        templates = []
        for path in paths:
            try:
                templates.append(parse_template(path.read_text(encoding="utf-8")))
            except InvalidTemplateError as exc:
                raise InvalidTemplateError(f"{path}: {exc}") from None
        return cls(check_extract(list(requested)), templates)

    def render(
        self, document: Document, options: JobOptions, rendered: bytes, format: str
    ) -> bytes:
        """What to write for ``document``: the fields alone, or ``rendered`` with them."""
        if not self.requested:
            return rendered
        from untxt.extract import extract_fields
        from untxt.extract.export import FIELD_FORMATS
        from untxt.formats.json import with_fields

        extraction = extract_fields(
            document, self.requested, languages=options.languages, templates=self.templates
        )
        if format in FIELDS_FORMATS:
            render, _ = FIELD_FORMATS[FIELDS_FORMATS[format][1]]
            return render(extraction).encode()
        if format == "json":
            return with_fields(rendered, extraction.dump())
        return rendered
