"""The result cache: each job's options fingerprint, and results indexed by blob.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable and in place on both databases: jobs from before have no fingerprint
    # and are never reused, which is safe.
    op.add_column("jobs", sa.Column("options_fingerprint", sa.String(64), nullable=True))
    op.create_index(
        "ix_jobs_document_id_options_fingerprint", "jobs", ["document_id", "options_fingerprint"]
    )
    op.create_index("ix_results_blob_key", "results", ["blob_key"])


def downgrade() -> None:
    op.drop_index("ix_results_blob_key", table_name="results")
    op.drop_index("ix_jobs_document_id_options_fingerprint", table_name="jobs")
    # SQLite (3.35+) drops a plain column in place; batch mode would rebuild jobs and
    # cascade-delete every task and result.
    op.drop_column("jobs", "options_fingerprint")
