"""The declarative base: one metadata with stable constraint names, and Core tables of models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import JSON, MetaData, RowMapping, Table, text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.instrumentation import manager_of_class

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


_Model = TypeVar("_Model", bound="Base")


def snapshot(model: type[_Model], values: Mapping[str, Any] | RowMapping) -> _Model:
    """A transient ``model`` holding ``values`` (by column), as a statement of ours wrote
    them: made as a query makes its rows, for the constructor's event per attribute
    costs a dozen times as much, on every submit."""
    model.registry.configure()  # as the constructor would: the first row may be this one
    row: _Model = manager_of_class(model).new_instance()
    row.__dict__.update(values)
    return row


def table_of(model: type[Base]) -> Table:
    """The Core table of a model, for prebuilt statements on hot paths."""
    return cast(Table, model.__table__)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }
