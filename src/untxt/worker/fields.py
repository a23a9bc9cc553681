"""A job's fields: its owner's templates parsed once, then the document's extraction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from untxt.db.models import TemplateRow
from untxt.document import Document
from untxt.errors import ExtractionError, InvalidTemplateError
from untxt.extract import Template, extract_fields
from untxt.extract.templates import parse_template
from untxt.logs import get_logger
from untxt.options import JobOptions

log = get_logger(__name__)


# Parsed templates kept per worker; beyond this the oldest parsed go first.
_CACHED = 1024


class TemplateCache:
    """Parsed templates by id and version: a worker parses each version of one once."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, str], Template | InvalidTemplateError] = {}

    def parse(self, rows: Sequence[TemplateRow]) -> tuple[list[Template], list[str]]:
        """The rows' templates, and a warning for each that no longer parses."""
        templates, warnings = [], []
        for row in rows:
            key = (row.id, row.updated_at.isoformat())
            if key not in self._parsed:
                while len(self._parsed) >= _CACHED:
                    del self._parsed[next(iter(self._parsed))]
                try:
                    self._parsed[key] = parse_template(row.source, name=row.name)
                except InvalidTemplateError as exc:
                    self._parsed[key] = exc
            parsed = self._parsed[key]
            if isinstance(parsed, Template):
                templates.append(parsed)
            else:
                warnings.append(f"template {row.name!r} was not used: {parsed}")
        return templates, warnings


def extract_job_fields(
    document: Document, options: JobOptions, rows: Sequence[TemplateRow], cache: TemplateCache
) -> dict[str, Any]:
    """The fields of ``document`` as stored with the job; an extractor that breaks fails
    the job with the reason, never with made-up fields."""
    templates, warnings = cache.parse(rows)
    try:
        extraction = extract_fields(
            document, options.extract, languages=options.languages, templates=templates
        )
    except Exception as exc:
        log.error("extraction crashed", exc_info=exc)
        raise ExtractionError(f"extracting fields: {type(exc).__name__}: {exc}") from exc
    if warnings:
        extraction = extraction.model_copy(update={"warnings": [*extraction.warnings, *warnings]})
    return extraction.dump()
