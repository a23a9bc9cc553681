"""Search: one row per page of every stored result, and its full-text index.

SQLite keeps the tokens in an FTS5 table over the rows (external content, kept in
step by triggers, so a page's row and its index entry go together, cascades included);
PostgreSQL keeps them in a tsvector column under a GIN index. Both hold tokens that
untxt folded and split itself, so that the two databases match alike.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_SQLITE = (
    # unicode61 without its own diacritics removal: the tokens arrive folded.
    "CREATE VIRTUAL TABLE search_fts USING fts5(folded, content='search_pages',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_pages_ai AFTER INSERT ON search_pages BEGIN"
    " INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END",
    "CREATE TRIGGER search_pages_ad AFTER DELETE ON search_pages BEGIN"
    " INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded);"
    " END",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(40), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        # Six little-endian int32 per word (span, box): read for every hit, parsed at memcpy speed.
        sa.Column("words", sa.LargeBinary(), nullable=False),
        # The text folded character for character: offsets in it are offsets in ``text``.
        sa.Column("folded", sa.Text(), nullable=False),
    ]
    if not sqlite:
        columns.append(sa.Column("tsv", postgresql.TSVECTOR(), nullable=False))
    op.create_table(
        "search_pages",
        *columns,
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_search_pages_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_search_pages"),
    )
    op.create_index("ix_search_pages_job_id_page", "search_pages", ["job_id", "page"])
    op.create_index("ix_search_pages_owner", "search_pages", ["owner"])
    if sqlite:
        for statement in _SQLITE:
            op.execute(statement)
    else:
        op.create_index("ix_search_pages_tsv", "search_pages", ["tsv"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER search_pages_ad")
        op.execute("DROP TRIGGER search_pages_ai")
        op.execute("DROP TABLE search_fts")
    else:
        op.drop_index("ix_search_pages_tsv", table_name="search_pages")
    op.drop_index("ix_search_pages_owner", table_name="search_pages")
    op.drop_index("ix_search_pages_job_id_page", table_name="search_pages")
    op.drop_table("search_pages")
