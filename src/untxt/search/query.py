"""The search syntax: words, ``prefix*``, ``"phrases"`` and field filters, read into a Query.

Every word a user types is folded and split exactly as page text is when indexed
(:mod:`untxt.search.text`), so ``Hóa-Đơn`` is the phrase ``hoa don`` and ``428.16`` the
phrase ``428 16``. Filters name the extracted fields that ``/v1/invoices`` lists by:
``vendor:aeon``, ``type:invoice``, ``currency:vnd``, ``total>100``, ``date>=2024-01-01``.
A name that is not one of those is no filter but words (``12:30`` is the phrase ``12 30``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from untxt.errors import InvalidSearchError
from untxt.search.text import folded_words

_PART = re.compile(
    r'(?P<name>[A-Za-z]+)(?P<op>>=|<=|:|>|<|=)(?:"(?P<quoted>[^"]*)"|(?P<value>[^\s"]*))'
    r'|"(?P<phrase>[^"]*)"(?P<star>\*)?'
    r'|(?P<word>[^\s"]+)'
)
_TEXT_FIELDS = frozenset({"vendor", "type", "currency"})
_ORDERED_FIELDS = frozenset({"total", "date"})
_OPERATORS = {":": "=", "=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
#: Beyond this many terms a query is refused: each is a join's worth of work.
MAX_TERMS = 32


@dataclass(frozen=True)
class Term:
    """Words that must stand together in this order; the last one a prefix if ``prefix``."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class FieldFilter:
    """A condition on an extracted field: ``total > 100``, ``vendor = aeon``."""

    name: str
    op: str
    value: Any


@dataclass(frozen=True)
class Query:
    """A parsed search: the terms every hit holds, the fields its document must have."""

    terms: tuple[Term, ...] = ()
    filters: tuple[FieldFilter, ...] = field(default=())
    #: Pages holding any term match, ranked by how many and how rare (a question's
    #: words, where a page need not hold every one).
    any_term: bool = False

    def fts5(self) -> str:
        """The terms as an FTS5 MATCH expression, each token quoted (no operator injection)."""
        return (" OR " if self.any_term else " ").join(
            '"{}"{}'.format(" ".join(term.words), "*" if term.prefix else "") for term in self.terms
        )

    def tsquery(self, *, phrases: bool = True) -> str:
        """The terms as a tsquery literal: ``<->`` within phrases, ``:*`` on prefixes.

        ``phrases=False`` asks only that a phrase's words all be on the page: what a GIN
        index answers without reading the pages, to narrow down where phrases may be.
        """
        parts = []
        for term in self.terms:
            words = [f"'{w}'" for w in term.words]
            if term.prefix:
                words[-1] += ":*"
            parts.append((" <-> " if phrases else " & ").join(words))
        return (" | " if self.any_term else " & ").join(parts)

    @property
    def has_phrase(self) -> bool:
        """Whether a term is several words that must stand together."""
        return any(len(term.words) > 1 for term in self.terms)


def _number(text: str, raw: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        value = Decimal("nan")
    if not value.is_finite() or abs(value) > Decimal("1e15"):
        raise InvalidSearchError(f"{raw}: {text!r} is not a number")
    return value


def _date(text: str, raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _no_date()
    except ValueError:
        raise InvalidSearchError(f"{raw}: {text!r} is not a date as YYYY-MM-DD") from None


def _no_date() -> dt.date:
    raise ValueError("not YYYY-MM-DD")


def _filter(name: str, op: str, value: str, raw: str) -> FieldFilter:
    if not value:
        raise InvalidSearchError(f"{raw}: the filter {name} has no value")
    if name in _TEXT_FIELDS:
        if op not in (":", "="):
            raise InvalidSearchError(f"{raw}: {name} is compared with ':' only ({name}:value)")
        return FieldFilter(name, "=", value)
    parsed = _number(value, raw) if name == "total" else _date(value, raw)
    return FieldFilter(name, _OPERATORS[op], parsed)


def _term(text: str, prefix: bool) -> Term | None:
    words = folded_words(text)
    return Term(tuple(words), prefix) if words else None


def parse_query(q: str) -> Query:
    """Read ``q``; raises :class:`InvalidSearchError` (in words) for what cannot be searched."""
    if q.count('"') % 2:
        raise InvalidSearchError('the query has an unbalanced quote: close the phrase with "')
    terms: list[Term] = []
    filters: list[FieldFilter] = []
    for match in _PART.finditer(q):
        name = (match["name"] or "").lower()
        if name in _TEXT_FIELDS or name in _ORDERED_FIELDS:
            value = match["quoted"] if match["quoted"] is not None else match["value"]
            filters.append(_filter(name, match["op"], value.strip(), match.group()))
            continue
        if match["phrase"] is not None:
            term = _term(match["phrase"], bool(match["star"]))
        else:
            raw = match.group()
            term = _term(raw.rstrip("*"), raw.endswith("*"))
        if term is not None:
            terms.append(term)
    if not terms and not filters:
        raise InvalidSearchError("the query has no words to search for")
    if len(terms) + len(filters) > MAX_TERMS:
        raise InvalidSearchError(f"the query has more than {MAX_TERMS} terms")
    return Query(tuple(terms), tuple(filters))
