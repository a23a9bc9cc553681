"""Extracted fields, corrections made by hand, and the owners' extraction templates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from untxt.db.models.base import Base
from untxt.db.types import BigIntPK


class ExtractionRow(Base):
    """The fields extracted from a completed job's document, and what lists invoices by.

    ``data`` is the extraction as the extractor gave it; corrections are rows of their
    own, applied when served. The summary columns (vendor, date, total, currency) hold
    the values in force, corrections included, so lists filter on what users see.
    """

    __tablename__ = "extractions"
    __table_args__ = (
        Index("ix_extractions_owner_job_id", "owner", "job_id"),
        Index("ix_extractions_owner_document_date", "owner", "document_date"),
    )

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    document_id: Mapped[str] = mapped_column(String(40))
    document_type: Mapped[str] = mapped_column(String(32))
    #: The names of the fields found, for event payloads without loading ``data``.
    field_names: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]]
    vendor: Mapped[str | None] = mapped_column(String(255))
    #: ``vendor`` folded (lower case, no accents) for case- and accent-insensitive search.
    vendor_key: Mapped[str | None] = mapped_column(String(255))
    document_date: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FieldCorrectionRow(Base):
    """A value a user set by hand for one field of a job's extraction."""

    __tablename__ = "field_corrections"
    __table_args__ = (Index("ix_field_corrections_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("extractions.job_id", ondelete="CASCADE"))
    #: A field name, or ``Items/<index>/<name>`` for a field of an item.
    path: Mapped[str] = mapped_column(String(128))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    corrected_by: Mapped[str] = mapped_column(String(64))
    corrected_at: Mapped[datetime]


class TemplateRow(Base):
    """An owner's extraction template, in invoice2data's format, kept as it was given."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_templates_owner_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
