"""The query syntax: terms folded like the index, filters read, bad queries refused in words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from untxt.errors import InvalidSearchError
from untxt.search.query import FieldFilter, Query, Term, parse_query


def test_words_are_folded_and_split_as_the_index_splits_them() -> None:
    """Accents, capitals and đ fold; ``428.16`` becomes the phrase ``428 16``."""
    assert parse_query("Hóa-Đơn 428.16").terms == (Term(("hoa", "don")), Term(("428", "16")))


def test_prefixes_phrases_and_filters_are_read() -> None:
    """A star marks a prefix, quotes a phrase; known field names are filters."""
    query = parse_query('elec* "total due" vendor:"Aeon Mall" total>=100 date<2024-01-01')
    assert query.terms == (Term(("elec",), prefix=True), Term(("total", "due")))
    assert query.filters == (
        FieldFilter("vendor", "=", "Aeon Mall"),
        FieldFilter("total", ">=", Decimal("100")),
        FieldFilter("date", "<", dt.date(2024, 1, 1)),
    )


def test_an_unknown_field_name_is_searched_as_words() -> None:
    """``12:30`` and ``note:x`` are text, not filters."""
    assert parse_query("12:30 note:x").terms == (Term(("12", "30")), Term(("note", "x")))


def test_terms_render_as_quoted_fts5_and_tsquery_expressions() -> None:
    """Every token is quoted: words such as OR or NEAR are searched, never obeyed."""
    query = Query((Term(("or",)), Term(("total", "du"), prefix=True)))
    assert query.fts5() == '"or" "total du"*'
    assert query.tsquery() == "'or' & 'total' <-> 'du':*"


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ('"total due', "unbalanced quote"),
        ("", "no words"),
        ("  -- ", "no words"),
        ("total>abc", "'abc' is not a number"),
        ("date>=14/03/2019", "not a date as YYYY-MM-DD"),
        ("vendor>aeon", "compared with ':' only"),
        ("total>", "has no value"),
    ],
)
def test_a_query_that_cannot_be_searched_is_refused_in_words(q: str, words: str) -> None:
    """Each refusal says what is wrong with the query."""
    with pytest.raises(InvalidSearchError, match=words):
        parse_query(q)
