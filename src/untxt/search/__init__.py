"""Full-text search over every stored result, in the database that holds the jobs.

- :mod:`untxt.search.text`: folding and tokens, the same at write and at query time
- :mod:`untxt.search.query`: the query syntax (words, prefixes, phrases, field filters)
- :mod:`untxt.search.index`: index rows written with a result, removed with its job, rebuilt
- :mod:`untxt.search.find`: ranked hits with snippets, highlights and word boxes
"""

from untxt.search.find import Hit, SearchFilters, search
from untxt.search.index import index_document, reindex, remove_jobs
from untxt.search.query import Query, parse_query

__all__ = [
    "Hit",
    "Query",
    "SearchFilters",
    "index_document",
    "parse_query",
    "reindex",
    "remove_jobs",
    "search",
]
