"""Documents: uploads, stored once per owner and content hash."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from untxt.db.driver import DriverStatement
from untxt.db.models import DocumentRow, snapshot, table_of
from untxt.db.session import DIALECT_INSERTS
from untxt.errors import NotFoundError
from untxt.ids import new_id
from untxt.storage.keys import document_blob_key


@cache
def _upsert(dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (owner, sha256) DO UPDATE``, built once per dialect.

    Uploads are on the hot path: a prebuilt Core statement skips the cost of
    building it (and of the ORM) on every request.
    """
    table = table_of(DocumentRow)
    statement = DIALECT_INSERTS[dialect](table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.owner, table.c.sha256],
        set_={
            # A soft-deleted document comes back under the name it is uploaded with.
            "filename": case(
                (table.c.deleted_at.is_not(None), statement.excluded.filename),
                else_=table.c.filename,
            ),
            "deleted_at": None,
        },
    ).returning(*table.c)


@cache
def _driver_upsert() -> DriverStatement:
    """The SQLite upsert, run on the driver's connection (see :mod:`untxt.db.driver`)."""
    return DriverStatement(_upsert("sqlite"))


_COLUMNS = tuple(table_of(DocumentRow).c.keys())


def add_document(
    session: Session,
    *,
    owner: str,
    sha256: str,
    filename: str,
    media_type: str,
    size: int,
    pages: int,
    now: datetime,
) -> tuple[DocumentRow, bool]:
    """Return the owner's document with this content, creating it if new; ``True`` if created.

    One upsert statement, so concurrent uploads of the same file agree on one row.
    The returned row is a detached snapshot.
    """
    values = {
        "id": new_id("doc"),
        "owner": owner,
        "sha256": sha256,
        "filename": filename,
        "media_type": media_type,
        "size": size,
        "pages": pages,
        "blob_key": document_blob_key(sha256),
        "created_at": now,
        "deleted_at": None,
    }
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        (returned,) = _driver_upsert().execute(connection, values)
        document = snapshot(DocumentRow, dict(zip(_COLUMNS, returned, strict=True)))
        return document, document.id == values["id"]
    row = connection.execute(_upsert(connection.dialect.name), values).one()
    return snapshot(DocumentRow, row._mapping), row.id == values["id"]


_DOCUMENTS = table_of(DocumentRow)
#: The caller's live document. A Core statement, not a DriverStatement: the guard of a
#: block of one write tells a read from a write by the statement it compiled from.
_LIVE = (
    _DOCUMENTS.c.id == bindparam("document_id"),
    _DOCUMENTS.c.owner == bindparam("owner"),
    _DOCUMENTS.c.deleted_at.is_(None),
)
_LIVE_DOCUMENT = select(_DOCUMENTS).where(*_LIVE)
# A select of the mapped row, as the guard needs to see a read (not a FromStatement).
_LIVE_DOCUMENT_ROW = select(DocumentRow).where(*_LIVE)


def get_document(session: Session, *, owner: str, document_id: str) -> DocumentRow:
    """The caller's live document ``document_id``; raises :class:`NotFoundError`."""
    params = {"owner": owner, "document_id": document_id}
    document: DocumentRow | None = session.scalar(_LIVE_DOCUMENT_ROW, params)
    if document is None:
        raise NotFoundError(f"no document {document_id!r}")
    return document


def get_document_now(connection: Connection, *, owner: str, document_id: str) -> DocumentRow:
    """:func:`get_document` on a connection without a session (see
    :meth:`untxt.db.Database.statements`): a detached snapshot of the row."""
    row = connection.execute(_LIVE_DOCUMENT, {"owner": owner, "document_id": document_id}).first()
    if row is None:
        raise NotFoundError(f"no document {document_id!r}")
    return snapshot(DocumentRow, row._mapping)


def get_documents(
    session: Session, *, owner: str, document_ids: Collection[str]
) -> dict[str, DocumentRow]:
    """The caller's live documents among ``document_ids``, by id; missing ones are left out."""
    rows = session.scalars(
        select(DocumentRow).where(
            DocumentRow.id.in_(set(document_ids)),
            DocumentRow.owner == owner,
            DocumentRow.deleted_at.is_(None),
        )
    )
    return {row.id: row for row in rows}


def list_documents(
    session: Session, *, owner: str, limit: int = 50, before: str | None = None
) -> list[DocumentRow]:
    """The caller's live documents, newest first; ``before`` is the last id of the previous page."""
    query = select(DocumentRow).where(DocumentRow.owner == owner, DocumentRow.deleted_at.is_(None))
    if before:
        query = query.where(DocumentRow.id < before)
    return list(session.scalars(query.order_by(DocumentRow.id.desc()).limit(limit)))


def list_all_documents(
    session: Session, *, limit: int = 50, before: str | None = None
) -> list[DocumentRow]:
    """Every owner's live documents, newest first (for admins); ``before`` as in
    :func:`list_documents`."""
    query = select(DocumentRow).where(DocumentRow.deleted_at.is_(None))
    if before:
        query = query.where(DocumentRow.id < before)
    return list(session.scalars(query.order_by(DocumentRow.id.desc()).limit(limit)))


def delete_document(session: Session, *, owner: str, document_id: str, now: datetime) -> None:
    """Soft-delete: hide the document; its jobs and results stay readable."""
    get_document(session, owner=owner, document_id=document_id).deleted_at = now


def stored_bytes(session: Session, *, owner: str, excluding_sha256: str | None = None) -> int:
    """Total size of ``owner``'s live documents, leaving out the one with ``excluding_sha256``."""
    query = select(func.coalesce(func.sum(DocumentRow.size), 0)).where(
        DocumentRow.owner == owner, DocumentRow.deleted_at.is_(None)
    )
    if excluding_sha256 is not None:
        query = query.where(DocumentRow.sha256 != excluding_sha256)
    return int(session.scalar(query) or 0)
