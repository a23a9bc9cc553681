"""Fields of invoices and receipts: document types, field extractors, user templates.

:func:`extract_fields` is a pure function of the Document model, the job's
languages and the owner's templates: it classifies the document (or takes the
type asked for), runs that type's extractor, then lets a matching template
override the fields it defines. It never reads the image again.
"""

from __future__ import annotations

from collections.abc import Sequence

from untxt.document import Document
from untxt.extract.base import DocumentType
from untxt.extract.model import Extraction, FieldSpec, FieldValue
from untxt.extract.registry import AUTO, ENTRY_POINT_GROUP, check_extract, document_types
from untxt.extract.templates import Template, apply_templates
from untxt.extract.view import DocumentView

__all__ = [
    "AUTO",
    "ENTRY_POINT_GROUP",
    "DocumentType",
    "Extraction",
    "FieldSpec",
    "FieldValue",
    "Template",
    "check_extract",
    "classify",
    "document_types",
    "extract_fields",
]

# Below this score no type has made its case: the document is "other".
_MIN_SCORE = 0.5


def classify(view: DocumentView, names: Sequence[str]) -> tuple[str, float]:
    """The most likely of the types ``names`` (or ``other``), and how sure that is."""
    types = document_types()
    scores = sorted(((types[n].score(view), n) for n in names if n in types), reverse=True)
    if not scores or scores[0][0] < _MIN_SCORE:
        best = scores[0][0] if scores else 0.0
        return "other", round(max(0.5, 1 - best), 3)
    best, name = scores[0]
    second = scores[1][0] if len(scores) > 1 else 0.0
    confidence = best / (best + second + 0.25) * min(1.0, best / 1.5)
    return name, round(min(0.99, max(0.05, confidence)), 3)


def extract_fields(
    document: Document,
    requested: Sequence[str],
    *,
    languages: Sequence[str] = ("eng",),
    templates: Sequence[Template] = (),
) -> Extraction:
    """The fields of ``document``: ``requested`` is the job's ``extract`` option, types by
    name or ``auto`` for all; one named type alone is taken as the document's type."""
    view = DocumentView(document, languages)
    types = document_types()
    if AUTO in requested or len(requested) != 1:
        names = list(types) if AUTO in requested else list(requested)
        kind, confidence = classify(view, names)
    else:
        kind, confidence = requested[0], 1.0
    if kind == "other":
        extraction = Extraction(document_type="other", type_confidence=confidence)
    else:
        extraction = types[kind].extract(view).model_copy(update={"type_confidence": confidence})
    return apply_templates(view, templates, extraction) if templates else extraction
