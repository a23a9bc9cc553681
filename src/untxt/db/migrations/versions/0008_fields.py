"""Fields: extractions of completed jobs, corrections by hand, users' templates.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from untxt.db.types import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "extractions",
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(40), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("field_names", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("vendor", sa.String(255), nullable=True),
        sa.Column("vendor_key", sa.String(255), nullable=True),
        sa.Column("document_date", sa.Date(), nullable=True),
        sa.Column("total", sa.Numeric(20, 4), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_extractions_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name="pk_extractions"),
    )
    op.create_index("ix_extractions_owner_job_id", "extractions", ["owner", "job_id"])
    op.create_index("ix_extractions_owner_document_date", "extractions", ["owner", "document_date"])
    op.create_table(
        "field_corrections",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("path", sa.String(128), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("corrected_by", sa.String(64), nullable=False),
        sa.Column("corrected_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["extractions.job_id"],
            name="fk_field_corrections_job_id_extractions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_field_corrections"),
    )
    op.create_index("ix_field_corrections_job_id_id", "field_corrections", ["job_id", "id"])
    op.create_table(
        "templates",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_templates"),
        sa.UniqueConstraint("owner", "name", name="uq_templates_owner_name"),
    )


def downgrade() -> None:
    op.drop_table("templates")
    op.drop_index("ix_field_corrections_job_id_id", table_name="field_corrections")
    op.drop_table("field_corrections")
    op.drop_index("ix_extractions_owner_document_date", table_name="extractions")
    op.drop_index("ix_extractions_owner_job_id", table_name="extractions")
    op.drop_table("extractions")
