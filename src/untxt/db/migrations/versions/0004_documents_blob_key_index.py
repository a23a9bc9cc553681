"""Index documents by blob key, for the retention sweep's "is this blob still used?".

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_blob_key", "documents", ["blob_key"])


def downgrade() -> None:
    op.drop_index("ix_documents_blob_key", table_name="documents")
