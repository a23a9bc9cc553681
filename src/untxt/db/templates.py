"""Templates: each owner's field extraction templates, kept as their text."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from untxt.db.models import TemplateRow
from untxt.errors import ConflictError, NotFoundError
from untxt.ids import new_id


def list_templates(
    session: Session, *, owner: str, limit: int | None = None, before: str | None = None
) -> list[TemplateRow]:
    """The owner's templates, newest first."""
    query = select(TemplateRow).where(TemplateRow.owner == owner)
    if before:
        query = query.where(TemplateRow.id < before)
    query = query.order_by(TemplateRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def get_template(session: Session, *, owner: str, template_id: str) -> TemplateRow:
    row = session.scalar(
        select(TemplateRow).where(TemplateRow.id == template_id, TemplateRow.owner == owner)
    )
    if row is None:
        raise NotFoundError(f"no template {template_id!r}")
    return row


def _name_taken(session: Session, owner: str, name: str, other_than: str | None) -> bool:
    query = select(TemplateRow.id).where(TemplateRow.owner == owner, TemplateRow.name == name)
    if other_than is not None:
        query = query.where(TemplateRow.id != other_than)
    return session.scalar(query) is not None


def create_template(
    session: Session, *, owner: str, name: str, source: str, now: datetime
) -> TemplateRow:
    """A new template; an owner's template names are unique (409 otherwise)."""
    if _name_taken(session, owner, name, None):
        raise ConflictError(f"a template named {name!r} exists; PUT it to replace it")
    row = TemplateRow(
        id=new_id("tpl"), owner=owner, name=name, source=source, created_at=now, updated_at=now
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # created at the same moment by another request
        raise ConflictError(f"a template named {name!r} exists; PUT it to replace it") from None
    return row


def update_template(
    session: Session, *, owner: str, template_id: str, name: str, source: str, now: datetime
) -> TemplateRow:
    row = get_template(session, owner=owner, template_id=template_id)
    if _name_taken(session, owner, name, template_id):
        raise ConflictError(f"another template is named {name!r}")
    row.name, row.source, row.updated_at = name, source, now
    session.flush()
    return row


def delete_template(session: Session, *, owner: str, template_id: str) -> None:
    get_template(session, owner=owner, template_id=template_id)
    session.execute(delete(TemplateRow).where(TemplateRow.id == template_id))


def templates_digest(session: Session, *, owner: str) -> str:
    """A digest that changes whenever the owner's templates do: results extracted with an
    older set are not reused (see :mod:`untxt.queue.cache`)."""
    rows = session.execute(
        select(TemplateRow.id, TemplateRow.updated_at)
        .where(TemplateRow.owner == owner)
        .order_by(TemplateRow.id)
    ).all()
    text = ";".join(f"{row.id}@{row.updated_at.isoformat()}" for row in rows)
    return hashlib.sha256(text.encode()).hexdigest()
