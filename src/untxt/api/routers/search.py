"""``/v1/search``: the caller's pages that match a query, best first, with what to mark."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from untxt.api.deps import NO_CONTROL_CHARACTERS, PrincipalDep, StateDep
from untxt.auth import PermissionDeniedError
from untxt.errors import InvalidSearchError
from untxt.search import Hit, SearchFilters, parse_query, search

router = APIRouter(tags=["search"])

# A cursor only says how many hits came before it: a relevance order has no key to resume at.
_CURSOR_PREFIX = "o:"
_MAX_OFFSET = 10_000


class HitOut(BaseModel):
    """One matching page: where it is, the words around the match and where to mark them."""

    document_id: str
    job_id: str
    filename: str
    page: int = Field(description="1-based page number.")
    score: float = Field(description="Relevance; higher is better, comparable within a search.")
    snippet: str = Field(description="Plain text around the first match.")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets of the matched words within the snippet."
    )
    boxes: list[tuple[int, int, int, int]] = Field(
        description="[x0, y0, x1, y1] of each matched word on the page, in result coordinates."
    )
    page_size: tuple[int, int] = Field(description="[width, height] of the page's coordinates.")
    links: dict[str, str]

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(
            document_id=hit.document_id,
            job_id=hit.job_id,
            filename=hit.filename,
            page=hit.page,
            score=hit.score,
            snippet=hit.snippet,
            highlights=hit.highlights,
            boxes=[(b[0], b[1], b[2], b[3]) for b in hit.boxes],
            page_size=(hit.width, hit.height),
            links={
                "job": f"/v1/jobs/{hit.job_id}",
                "result": f"/v1/jobs/{hit.job_id}/result?format=json",
                "document": f"/v1/documents/{hit.document_id}",
            },
        )


class SearchResults(BaseModel):
    items: list[HitOut]
    next_cursor: str | None


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode()
        offset = int(decoded.removeprefix(_CURSOR_PREFIX))
        if not decoded.startswith(_CURSOR_PREFIX) or not 0 <= offset <= _MAX_OFFSET:
            raise ValueError(decoded)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidSearchError("cursor: not a next_cursor that a search returned") from None
    return offset


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


@router.get("/v1/search", response_model=SearchResults)
def search_pages(
    state: StateDep,
    principal: PrincipalDep,
    q: Annotated[
        str,
        Query(
            max_length=500,
            pattern=NO_CONTROL_CHARACTERS,
            description='Words, prefix*, "phrases", and filters: vendor:aeon type:invoice '
            "total>100 date>=2024-01-01 currency:vnd. Case and accents do not matter.",
        ),
    ],
    type: Annotated[
        str | None, Query(max_length=32, pattern=r"^[a-z_]+$", description="Document type.")
    ] = None,
    date_from: Annotated[dt.date | None, Query(description="Document date, from.")] = None,
    date_to: Annotated[dt.date | None, Query(description="Document date, until.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            max_length=64, pattern=NO_CONTROL_CHARACTERS, description="next_cursor of the last page"
        ),
    ] = None,
    all: Annotated[bool, Query(description="Every owner's pages (admins only).")] = False,
) -> SearchResults:
    """The caller's pages that match ``q``, most relevant first (BM25 / ts_rank)."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("searching every owner's documents needs an admin account")
    query = parse_query(q)
    offset = _offset(cursor)
    filters = SearchFilters(
        owner=None if all else principal.owner, type=type, date_from=date_from, date_to=date_to
    )
    with state.db.read() as session:
        hits = search(session, query, filters, limit=limit + 1, offset=offset)
    more = len(hits) > limit and offset + limit <= _MAX_OFFSET
    return SearchResults(
        items=[HitOut.of(hit) for hit in hits[:limit]],
        next_cursor=_cursor(offset + limit) if more else None,
    )
