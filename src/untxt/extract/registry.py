"""Document types by name, loaded from the ``untxt.extractors`` entry points."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from untxt.errors import InvalidOptionsError
from untxt.extract.base import DocumentType
from untxt.logs import get_logger

log = get_logger(__name__)

#: The entry point group document types register in.
ENTRY_POINT_GROUP = "untxt.extractors"
#: Classify the document, then extract the fields of its type.
AUTO = "auto"


@cache
def document_types() -> dict[str, DocumentType]:
    """Every document type that loads, by name (one that fails to load is logged and left out)."""
    found: dict[str, DocumentType] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found:
            continue
        try:
            factory = point.load()
            if not (isinstance(factory, type) and issubclass(factory, DocumentType)):
                raise TypeError(f"{point.value!r} is not a DocumentType subclass")
            if factory.name != point.name:
                raise TypeError(f"{point.value!r} calls itself {factory.name!r}")
            found[point.name] = factory()
        except Exception as exc:  # a plugin may fail in any way: report it, keep the others
            log.warning("document type not loaded", name=point.name, error=str(exc))
    return found


def check_extract(requested: list[str]) -> list[str]:
    """``requested`` without repeats, or :class:`InvalidOptionsError` naming an unknown type."""
    known = document_types()
    unknown = [name for name in requested if name != AUTO and name not in known]
    if unknown:
        choices = ", ".join([AUTO, *sorted(known)])
        raise InvalidOptionsError(
            f"unknown document type {', '.join(map(repr, unknown))} in extract; choose from "
            f"{choices}"
        )
    return list(dict.fromkeys(requested))
