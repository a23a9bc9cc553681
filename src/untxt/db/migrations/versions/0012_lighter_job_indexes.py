"""Fewer index entries per new job: each submit wrote three it did not need.

``ix_jobs_document_id`` repeats the start of ``ix_jobs_document_id_options_fingerprint``,
which serves its lookups. ``ix_jobs_finished_at`` and ``ix_jobs_batch_id`` become
partial, holding only jobs that have the column set: a job is submitted with neither
(unless it is part of a batch), and every query they serve compares the column, which
implies it is set. On SQLite each index a row enters is one more page for the commit
to write to the log.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTIAL = {"ix_jobs_finished_at": "finished_at", "ix_jobs_batch_id": "batch_id"}


def upgrade() -> None:
    op.drop_index("ix_jobs_document_id", table_name="jobs")
    for name, column in _PARTIAL.items():
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name="jobs")
        op.create_index(name, "jobs", [column], sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, column in _PARTIAL.items():
        op.drop_index(name, table_name="jobs")
        op.create_index(name, "jobs", [column])
    op.create_index("ix_jobs_document_id", "jobs", ["document_id"])
