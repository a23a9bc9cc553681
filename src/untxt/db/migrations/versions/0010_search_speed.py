"""Search speed: prefix indexes on SQLite; on PostgreSQL, matching through the GIN index only.

SQLite's FTS5 table is rebuilt with prefix indexes of two and three characters, so that
``tot*`` reads one index entry instead of merging the lists of every word it starts.
PostgreSQL loses the index on ``search_pages.owner``: with it, the planner narrowed a
search to the owner's pages and then read every one of their tsvectors (each out of
line, in TOAST) to test the match, where the GIN index answers without reading any.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fts(prefix: str) -> tuple[str, ...]:
    return (
        "DROP TRIGGER search_pages_ai",
        "DROP TRIGGER search_pages_ad",
        "DROP TABLE search_fts",
        # unicode61 without its own diacritics removal: the tokens arrive folded.
        "CREATE VIRTUAL TABLE search_fts USING fts5(folded, content='search_pages',"
        f" content_rowid='id', tokenize='unicode61 remove_diacritics 0'{prefix})",
        "CREATE TRIGGER search_pages_ai AFTER INSERT ON search_pages BEGIN"
        " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
        "CREATE TRIGGER search_pages_ad AFTER DELETE ON search_pages BEGIN"
        " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded);"
        " END",
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _fts(", prefix='2 3'"):
            op.execute(statement)
    else:
        op.drop_index("ix_search_pages_owner", table_name="search_pages")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _fts(""):
            op.execute(statement)
    else:
        op.create_index("ix_search_pages_owner", "search_pages", ["owner"])
