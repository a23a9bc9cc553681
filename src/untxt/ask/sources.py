"""What an answer may rest on: passages of pages and the fields of documents, with boxes.

A question's words are searched for as any-of (a page need not hold every word of
"how much did we pay for electricity"), ranked by the search index; from each page
found, the lines that hold a match and their neighbours become a passage, each line
with the box around its words, so that a citation can mark exactly what was read.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from untxt.search.find import SearchFilters, matched_tokens, ranked_pages
from untxt.search.query import Query, Term
from untxt.search.text import unpack_words

#: Lines of one page kept around its matches.
MAX_LINES = 12
_CONTEXT = 1
#: Words of a question searched for at most (the rest add little and cost a join each).
MAX_WORDS = 12


@dataclass(frozen=True)
class Line:
    """A line of a page (or one field) as printed, where it is, and on which page."""

    text: str
    page: int
    bbox: tuple[int, int, int, int] | None


@dataclass
class Source:
    """One numbered thing an answer may cite: a passage, a document's fields, or a sum."""

    kind: Literal["passage", "fields", "computed"]
    lines: list[Line]
    job_id: str | None = None
    document_id: str | None = None
    filename: str | None = None
    page: int | None = None
    page_size: tuple[int, int] | None = None
    score: float = 0.0
    #: Set by the answer: the number it is cited by.
    ref: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The source's lines, one per line, as shown to a language model."""
        return "\n".join(line.text for line in self.lines)


def _box(flat: Any, first: int, last: int) -> tuple[int, int, int, int] | None:
    """The box around words ``first`` to ``last - 1`` of a page's packed words."""
    if first >= last:
        return None
    xs0 = [flat[6 * i + 2] for i in range(first, last)]
    ys0 = [flat[6 * i + 3] for i in range(first, last)]
    xs1 = [flat[6 * i + 4] for i in range(first, last)]
    ys1 = [flat[6 * i + 5] for i in range(first, last)]
    return (min(xs0), min(ys0), max(xs1), max(ys1))


def _passage(row: Any, score: float, terms: tuple[Term, ...]) -> Source:
    text: str = row.text
    flat = unpack_words(row.words)
    starts = flat[0::6]
    spans: list[tuple[int, int]] = []
    at = 0
    for piece in text.split("\n"):
        spans.append((at, at + len(piece)))
        at += len(piece) + 1
    line_starts = [a for a, _ in spans]
    hit_lines = sorted(
        {bisect.bisect_right(line_starts, t.start) - 1 for t in matched_tokens(row.folded, terms)}
    )
    chosen: list[int] = []
    for index in hit_lines:
        for near in range(index - _CONTEXT, index + _CONTEXT + 1):
            if 0 <= near < len(spans) and near not in chosen:
                chosen.append(near)
    chosen = sorted(chosen[:MAX_LINES]) or list(range(min(MAX_LINES, len(spans))))
    lines = []
    word = 0
    for index in chosen:
        a, b = spans[index]
        while word < len(starts) and starts[word] < a:
            word += 1
        first = word
        while word < len(starts) and starts[word] < b:
            word += 1
        lines.append(Line(text[a:b], row.page, _box(flat, first, word)))
    return Source(
        kind="passage",
        lines=lines,
        job_id=row.job_id,
        document_id=row.document_id,
        filename=row.filename,
        page=row.page,
        page_size=(row.width, row.height),
        score=score,
    )


def passages(
    session: Session,
    words: tuple[str, ...],
    *,
    owner: str,
    document_ids: tuple[str, ...] | None,
    limit: int,
) -> list[Source]:
    """The ``limit`` pages that best match any of ``words`` (folded), as passages."""
    if not words:
        return []
    query = Query(tuple(Term((w,)) for w in words[:MAX_WORDS]), any_term=True)
    filters = SearchFilters(owner=owner, document_ids=document_ids)
    ranked = ranked_pages(session, query, filters, limit=limit)
    return [_passage(row, score, query.terms) for row, score in ranked]


def _field_line(name: str, value: dict[str, Any]) -> Line | None:
    if value.get("value") is None:
        return None
    box = value.get("bbox")
    bbox = (box["x0"], box["y0"], box["x1"], box["y1"]) if box else None
    return Line(f"{name}: {value['value']}", int(value.get("page") or 1), bbox)


def field_source(
    data: dict[str, Any], *, job_id: str, document_id: str, filename: str
) -> Source | None:
    """A document's extracted fields (corrections applied) as one source, a line a field."""
    kind = data.get("document_type", "other")
    subtype = data.get("document_subtype")
    lines = [Line(f"DocumentType: {kind}" + (f" ({subtype})" if subtype else ""), 1, None)]
    for name, value in (data.get("fields") or {}).items():
        if (line := _field_line(name, value)) is not None:
            lines.append(line)
    if len(lines) == 1:
        return None
    page = next((line.page for line in lines if line.bbox is not None), 1)
    return Source(
        kind="fields",
        lines=lines,
        job_id=job_id,
        document_id=document_id,
        filename=filename,
        page=page,
    )
