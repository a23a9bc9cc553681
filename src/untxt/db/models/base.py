"""The declarative base: one metadata with stable constraint names, and Core tables of models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, cast

from sqlalchemy import JSON, MetaData, Table, text
from sqlalchemy.orm import DeclarativeBase

from untxt.db.types import UTCDateTime

# Stable constraint names, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def where(condition: str) -> dict[str, Any]:
    """The keyword arguments of an ``Index`` that holds only the rows meeting
    ``condition``, on SQLite and PostgreSQL alike."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for prebuilt statements on hot paths."""
    return cast(Table, model.__table__)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }
