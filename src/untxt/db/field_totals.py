"""Sums and counts over extracted fields, computed by the database, and the rows behind them.

What ``/v1/ask`` answers without a language model comes from here: one statement adds
the totals up (per currency: amounts in different currencies are never added), another
lists the documents it added, so an answer always shows the rows it used. A document
read more than once counts once, by its newest job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, extract, func, select
from sqlalchemy.orm import Session

from untxt.db.extractions import EXTRACTIONS, LISTED_TYPES
from untxt.db.models import DocumentRow, table_of

DOCUMENTS = table_of(DocumentRow)
_E = EXTRACTIONS.c
#: At most this many vendor names are matched against a question's words.
MAX_VENDORS = 10_000


@dataclass(frozen=True)
class FieldScope:
    """Which extractions a question is about: one owner's, narrowed by what it names."""

    owner: str
    types: tuple[str, ...] | None = None
    #: Utility bills of this kind only (electricity, water, telecom).
    utility: str | None = None
    vendor_keys: tuple[str, ...] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    document_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CurrencyTotal:
    """The documents in one currency: how many, how many had a total, and its sum."""

    currency: str | None
    documents: int
    with_total: int
    amount: Decimal | None


@dataclass(frozen=True)
class FieldRow:
    """One document a sum or count used, with its fields as extracted (``data``)."""

    job_id: str
    document_id: str
    filename: str
    document_type: str
    vendor: str | None
    date: dt.date | None
    total: Decimal | None
    currency: str | None
    data: dict[str, Any]


def _where(scope: FieldScope, *, period: bool = True) -> list[ColumnElement[bool]]:
    newer = EXTRACTIONS.alias("newer")
    conditions: list[ColumnElement[bool]] = [
        _E.owner == scope.owner,
        _E.document_type.in_(scope.types or LISTED_TYPES),
        ~exists().where(
            newer.c.document_id == _E.document_id,
            newer.c.owner == _E.owner,
            newer.c.job_id > _E.job_id,
        ),
    ]
    if scope.utility is not None:
        conditions.append(_E.data["document_subtype"].as_string() == scope.utility)
    if scope.vendor_keys is not None:
        conditions.append(_E.vendor_key.in_(scope.vendor_keys))
    if scope.document_ids is not None:
        conditions.append(_E.document_id.in_(scope.document_ids))
    if period and scope.start is not None:
        conditions.append(_E.document_date >= scope.start)
    if period and scope.end is not None:
        conditions.append(_E.document_date <= scope.end)
    return conditions


def vendor_keys(session: Session, owner: str) -> list[str]:
    """The folded vendor names of an owner's extractions, to match a question's words."""
    statement = (
        select(_E.vendor_key)
        .distinct()
        .where(_E.owner == owner, _E.vendor_key.is_not(None))
        .limit(MAX_VENDORS)
    )
    return [key for key in session.scalars(statement) if key]


def totals(session: Session, scope: FieldScope) -> list[CurrencyTotal]:
    """Per currency: documents in scope, those with a total, and the totals' sum."""
    statement = (
        select(_E.currency, func.count(), func.count(_E.total), func.sum(_E.total))
        .where(and_(*_where(scope)))
        .group_by(_E.currency)
        .order_by(func.count().desc(), _E.currency)
    )
    return [
        CurrencyTotal(currency, documents, with_total, None if amount is None else Decimal(amount))
        for currency, documents, with_total, amount in session.execute(statement)
    ]


def _rows(scope: FieldScope) -> Select[Any]:
    return (
        select(
            _E.job_id,
            _E.document_id,
            DOCUMENTS.c.filename,
            _E.document_type,
            _E.vendor,
            _E.document_date,
            _E.total,
            _E.currency,
            _E.data,
        )
        .join(DOCUMENTS, DOCUMENTS.c.id == _E.document_id)
        .where(and_(*_where(scope)))
    )


def rows(session: Session, scope: FieldScope, *, limit: int) -> list[FieldRow]:
    """Up to ``limit`` documents in scope, oldest document date first."""
    statement = _rows(scope).order_by(_E.document_date, _E.job_id).limit(limit)
    return [FieldRow(*row) for row in session.execute(statement)]


def latest_year_of_month(session: Session, scope: FieldScope, month: int) -> int | None:
    """The latest year in which documents in scope (its period aside) are dated in ``month``."""
    latest = select(func.max(_E.document_date)).where(
        and_(*_where(scope, period=False)), extract("month", _E.document_date) == month
    )
    if scope.end is not None:
        latest = latest.where(_E.document_date <= scope.end)
    found = session.execute(latest).scalar_one_or_none()
    if isinstance(found, str):  # SQLite hands MAX() of a date column back as text
        found = dt.date.fromisoformat(found)
    return found.year if found is not None else None
