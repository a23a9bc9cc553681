"""Batches of jobs, and the answers kept for Idempotency-Key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from untxt.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("total > 0", name=op.f("ck_batches_total")),
        sa.PrimaryKeyConstraint("id", name="pk_batches"),
    )

    batch_id = sa.Column(
        "batch_id",
        sa.String(40),
        sa.ForeignKey("batches.id", name="fk_jobs_batch_id_batches"),
        nullable=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: its copy-and-move drops the old jobs table, and with foreign
        # keys on (they cannot be switched off inside the migration's transaction) that
        # drop deletes every job's tasks and results through ON DELETE CASCADE. SQLite
        # adds a nullable column with an inline REFERENCES in place.
        op.add_column("jobs", batch_id, inline_references=True)
    else:
        op.add_column("jobs", batch_id)
    op.add_column("jobs", sa.Column("batch_index", sa.Integer(), nullable=True))
    op.create_index("ix_jobs_batch_id", "jobs", ["batch_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status_code BETWEEN 100 AND 599", name=op.f("ck_idempotency_keys_status_code")
        ),
        sa.PrimaryKeyConstraint("owner", "key", name="pk_idempotency_keys"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_jobs_batch_id", table_name="jobs")
    op.drop_column("jobs", "batch_index")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_jobs_batch_id_batches", "jobs", type_="foreignkey")
    # SQLite drops a column together with its inline REFERENCES.
    op.drop_column("jobs", "batch_id")
    op.drop_table("batches")
