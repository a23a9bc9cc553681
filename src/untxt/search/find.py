"""Ranked hits: BM25 on SQLite, ts_rank on PostgreSQL; snippets, highlights and boxes.

Ranking happens in the database; the snippet, its highlights and the boxes of the
matched words are worked out here from the few rows of one page of hits, by matching
the same folded tokens the index holds against the query's terms.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Date, Numeric, bindparam, text
from sqlalchemy.orm import Session

from untxt.extract.view import fold
from untxt.search.query import FieldFilter, Query, Term
from untxt.search.text import TOKEN, Token, unpack_words

#: Matches scored for relevance, newest first: a query that matches more pages ranks
#: the newest this many (and lists no more).
RANKED = 1000
#: Characters of page text shown around the first match.
SNIPPET_CHARS = 240
_BEFORE = 60
_FILTER_COLUMNS = {
    "vendor": "e.vendor_key",
    "type": "e.document_type",
    "currency": "e.currency",
    "total": "e.total",
    "date": "e.document_date",
}


@dataclass(frozen=True)
class SearchFilters:
    """Filters given beside the query (``type``, ``date_from``, ``date_to``) and whose pages."""

    owner: str | None  # None: every owner's (an admin's all=true)
    type: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: Only pages of these documents.
    document_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Hit:
    """A page that matches: where it is, why it ranks, what to show and where to mark."""

    job_id: str
    document_id: str
    filename: str
    page: int
    score: float
    snippet: str
    #: ``[start, end)`` offsets of matched words within ``snippet``.
    highlights: list[tuple[int, int]]
    #: ``[x0, y0, x1, y1]`` of each matched word, in the page's result coordinates.
    boxes: list[list[int]]
    width: int
    height: int


def _conditions(query: Query, filters: SearchFilters) -> tuple[list[str], dict[str, Any], bool]:
    """SQL conditions and parameters for the owner and field filters; whether they need
    the extractions joined."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if filters.owner is not None:
        where.append("p.owner = :owner")
        params["owner"] = filters.owner
    if filters.document_ids is not None:
        where.append("p.document_id IN :documents")
        params["documents"] = list(filters.document_ids)
    checks = list(query.filters)
    if filters.type:
        checks.append(FieldFilter("type", "=", filters.type))
    if filters.date_from:
        checks.append(FieldFilter("date", ">=", filters.date_from))
    if filters.date_to:
        checks.append(FieldFilter("date", "<=", filters.date_to))
    for index, check in enumerate(checks):
        name = f"f{index}"
        column = _FILTER_COLUMNS[check.name]
        value = check.value
        if check.name == "vendor":
            escaped = fold(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(f"{column} LIKE :{name} ESCAPE '\\'")
            value = f"%{escaped}%"
        else:
            where.append(f"{column} {check.op} :{name}")
            if check.name == "type":
                value = value.lower()
            elif check.name == "currency":
                value = value.upper()
        params[name] = value
    return where, params, bool(checks)


def _ranking(dialect: str, query: Query, filters: SearchFilters) -> tuple[Any, dict[str, Any]]:
    """The statement that orders the matching pages' ids and scores, one page of them.

    It selects no text: sorting thousands of matches of a common word while carrying
    each page's text and boxes along cost ten times the ranking itself. Only the newest
    :data:`RANKED` matches are scored: a word on most pages would otherwise have every
    one of them scored (each page's index entry read and decoded) before the best
    twenty could be returned.
    """
    where, params, joined = _conditions(query, filters)
    joins = " JOIN extractions e ON e.job_id = p.job_id" if joined else ""
    params["ranked"] = RANKED
    if not query.terms:  # filters only: every page of the matching documents, newest first
        sql = f"SELECT p.id, 0.0 AS score FROM search_pages p{joins}"
        order = "p.job_id DESC, p.page"
    elif dialect == "sqlite":
        params["match"] = query.fts5()
        matching = " AND ".join(["search_fts MATCH :match", *where])
        source = f"search_fts JOIN search_pages p ON p.id = search_fts.rowid{joins}"
        # The oldest of the newest RANKED matches; FTS5 walks its doclists by rowid.
        oldest = (
            f"SELECT search_fts.rowid FROM {source} WHERE {matching}"
            " ORDER BY search_fts.rowid DESC LIMIT 1 OFFSET :ranked - 1"
        )
        # rank is bm25() computed once a row (selecting and ordering by bm25() twice);
        # it is lower for better matches: negated, higher is better on both databases.
        sql = f"SELECT p.id, -search_fts.rank AS score FROM {source}"
        where = [matching, f"search_fts.rowid >= COALESCE(({oldest}), 0)"]
        order = "search_fts.rank, p.id"
    else:
        params["match"] = query.tsquery()
        # Phrases are narrowed to the pages holding their words, which the GIN index
        # finds alone; checking word positions reads each page's tsvector, and is left
        # to the few pages ranked.
        params["words"] = query.tsquery(phrases=False)
        matching = " AND ".join(["p.tsv @@ CAST(:words AS tsquery)", *where])
        newest = (
            f"SELECT p.id FROM search_pages p{joins} WHERE {matching}"
            " ORDER BY p.id DESC LIMIT :ranked"
        )
        rank = "ts_rank(p.tsv, CAST(:match AS tsquery))"
        sql = f"SELECT p.id, {rank} AS score FROM search_pages p"
        where = [f"p.id IN ({newest})"]
        if query.has_phrase:
            where.append("p.tsv @@ CAST(:match AS tsquery)")
        order = "score DESC, p.id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    statement = text(f"{sql} ORDER BY {order} LIMIT :limit OFFSET :offset")
    typed: list[BindParameter[Any]] = []
    for name, value in params.items():
        if isinstance(value, list):
            typed.append(bindparam(name, expanding=True))
        elif isinstance(value, dt.date):
            typed.append(bindparam(name, type_=Date()))
        elif isinstance(value, Decimal):
            typed.append(bindparam(name, type_=Numeric(20, 4)))
    return statement.bindparams(*typed), params


_BITMAP_ONLY = text(
    "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'),"
    " set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
)
_RESTORE = text(
    "SELECT set_config('enable_seqscan', :seqscan, true),"
    " set_config('enable_indexscan', :indexscan, true)"
)
_PAGES = text(
    "SELECT p.id, p.job_id, p.document_id, p.page, p.width, p.height, p.text, p.folded, p.words,"
    " d.filename FROM search_pages p JOIN documents d ON d.id = p.document_id"
    " WHERE p.id IN :ids"
).bindparams(bindparam("ids", expanding=True))


def ranked_pages(
    session: Session, query: Query, filters: SearchFilters, *, limit: int, offset: int = 0
) -> list[tuple[Any, float]]:
    """Up to ``limit`` matching pages' rows (text, folded text, packed words, filename) from
    ``offset`` on, with their scores, best first (ties in index order, so stable)."""
    dialect = session.get_bind().dialect.name
    statement, params = _ranking(dialect, query, filters)
    values = {**params, "limit": limit, "offset": offset}
    if dialect == "postgresql":
        # The planner does not count the cost of reading a page's tsvector out of TOAST
        # to test it: left to itself it tests every page of an owner (tens of ms at ten
        # thousand pages) rather than ask the GIN index, which answers without reading
        # them. Bitmap scans only, for this one statement, leave it the index. (A
        # failure rolls the transaction back, and the settings with it.)
        kept = session.execute(_BITMAP_ONLY).one()
        ranked = session.execute(statement, values).all()
        session.execute(_RESTORE, {"seqscan": kept[0], "indexscan": kept[1]})
    else:
        ranked = session.execute(statement, values).all()
    if not ranked:
        return []
    pages = {row.id: row for row in session.execute(_PAGES, {"ids": [r.id for r in ranked]})}
    return [(pages[r.id], float(r.score or 0.0)) for r in ranked if r.id in pages]


def search(
    session: Session, query: Query, filters: SearchFilters, *, limit: int, offset: int = 0
) -> list[Hit]:
    """Up to ``limit`` hits from ``offset`` on, best first (ties in index order, so stable)."""
    ranked = ranked_pages(session, query, filters, limit=limit, offset=offset)
    return [_hit(row, score, query.terms) for row, score in ranked]


def _pattern(terms: tuple[Term, ...]) -> re.Pattern[str]:
    """One expression for every term's occurrences in folded text: whole tokens, in order,
    separated by anything that is no token; a prefix term's last word may go on."""
    alternatives = []
    for term in terms:
        words = [re.escape(word) for word in term.words]
        tail = r"[^\W_]*" if term.prefix else r"(?![^\W_])"
        alternatives.append(r"(?<![^\W_])" + r"[\W_]+".join(words) + tail)
    return re.compile("|".join(alternatives))


def matched_tokens(folded: str, terms: tuple[Term, ...]) -> list[Token]:
    """The tokens of a page's folded text (offsets are the text's) that make up an
    occurrence of some term, in text order."""
    if not terms:
        return []
    found: list[Token] = []
    for match in _pattern(terms).finditer(folded):
        found.extend(
            Token(t.group(), t.start(), t.end())
            for t in TOKEN.finditer(folded, match.start(), match.end())
        )
    return found


def _hit(row: Any, score: float, terms: tuple[Term, ...]) -> Hit:
    page_text: str = row.text
    flat = unpack_words(row.words)
    matched = matched_tokens(row.folded, terms)
    first = matched[0].start if matched else 0
    start = max(0, first - _BEFORE)
    if start:  # begin at a word
        space = page_text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(page_text), start + SNIPPET_CHARS)
    if end < len(page_text):
        space = page_text.rfind(" ", max(start, matched[-1].end if matched else start), end)
        end = space if space > start else end
    highlights: list[tuple[int, int]] = []
    for t in matched:
        if t.start < start or t.end > end:
            continue
        # Tokens of one printed word (428 and 16 of 428.16) are marked as that one word.
        if highlights and not any(
            c.isspace() for c in page_text[start + highlights[-1][1] : t.start]
        ):
            highlights[-1] = (highlights[-1][0], t.end - start)
        else:
            highlights.append((t.start - start, t.end - start))
    # Words are in text order: the first that ends after a token's start is its word.
    ends = flat[1::6]
    boxed: dict[int, list[int]] = {}
    for t in matched:
        at = bisect.bisect_right(ends, t.start)
        while at < len(ends) and flat[6 * at] < t.end:
            boxed[at] = list(flat[6 * at + 2 : 6 * at + 6])
            at += 1
    boxes = [boxed[at] for at in sorted(boxed)]
    return Hit(
        job_id=row.job_id,
        document_id=row.document_id,
        filename=row.filename,
        page=row.page,
        score=score,
        # Lines are joined by newlines: one line of snippet, offsets unchanged.
        snippet=page_text[start:end].replace("\n", " "),
        highlights=highlights,
        boxes=boxes,
        width=row.width,
        height=row.height,
    )
