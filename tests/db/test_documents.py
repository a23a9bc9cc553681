"""Documents: stored once per owner and content hash, soft-deleted and revived."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from untxt.db import Database
from untxt.db.documents import (
    add_document,
    delete_document,
    get_document,
    list_documents,
)
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.errors import NotFoundError
from untxt.storage.keys import document_blob_key

SHA = "0f" * 32


def _add(
    db: Database, *, owner: str = "alice", sha256: str = SHA, filename: str = "scan.png"
) -> tuple[str, bool]:
    """Upload a document; returns its id and whether it was created."""
    with db.write() as session:
        document, created = add_document(
            session,
            owner=owner,
            sha256=sha256,
            filename=filename,
            media_type="image/png",
            size=42,
            pages=1,
            now=utcnow(),
        )
        return document.id, created


def _delete(db: Database, document_id: str, now: datetime, owner: str = "alice") -> None:
    with db.write() as session:
        delete_document(session, owner=owner, document_id=document_id, now=now)


def test_new_upload_creates_a_document_with_a_content_blob_key(db: Database) -> None:
    """The first upload creates the row; its blob key is derived from the hash."""
    document_id, created = _add(db)
    assert created
    with db.read() as session:
        document = get_document(session, owner="alice", document_id=document_id)
    assert document.blob_key == document_blob_key(SHA) == f"documents/0f/{SHA}"
    assert (document.sha256, document.filename, document.deleted_at) == (SHA, "scan.png", None)


def test_same_owner_same_content_returns_the_same_document(db: Database) -> None:
    """A repeated upload by the same owner is deduplicated."""
    first, created_first = _add(db)
    second, created_second = _add(db, filename="again.png")
    assert (created_first, created_second) == (True, False)
    assert second == first
    with db.read() as session:
        assert session.query(DocumentRow).count() == 1


def test_different_owner_same_content_gets_its_own_document(db: Database) -> None:
    """Deduplication never crosses owners."""
    alice, _ = _add(db, owner="alice")
    bob, created = _add(db, owner="bob")
    assert created
    assert bob != alice
    with db.read() as session, pytest.raises(NotFoundError):
        get_document(session, owner="bob", document_id=alice)


def test_different_content_same_owner_is_a_new_document(db: Database) -> None:
    """A different hash is a different document."""
    first, _ = _add(db)
    second, created = _add(db, sha256="1a" * 32)
    assert created
    assert second != first


def test_soft_deleted_document_is_hidden(db: Database) -> None:
    """After deletion the document is gone from get and list, but its row stays."""
    document_id, _ = _add(db)
    _delete(db, document_id, utcnow())
    with db.read() as session:
        with pytest.raises(NotFoundError):
            get_document(session, owner="alice", document_id=document_id)
        assert list_documents(session, owner="alice") == []
        row = session.get(DocumentRow, document_id)
    assert row is not None and row.deleted_at is not None


def test_uploading_a_deleted_document_again_brings_it_back(db: Database) -> None:
    """The same content uploaded after deletion revives the row under its new filename."""
    document_id, _ = _add(db)
    _delete(db, document_id, utcnow())
    revived, created = _add(db, filename="renamed.png")
    assert (revived, created) == (document_id, False)
    with db.read() as session:
        document = get_document(session, owner="alice", document_id=document_id)
        assert [d.id for d in list_documents(session, owner="alice")] == [document_id]
    assert (document.deleted_at, document.filename) == (None, "renamed.png")


def test_deleting_another_owners_document_is_not_found(db: Database) -> None:
    """Owners cannot delete each other's documents."""
    document_id, _ = _add(db, owner="bob")
    with pytest.raises(NotFoundError):
        _delete(db, document_id, utcnow(), owner="alice")
    with db.read() as session:
        assert get_document(session, owner="bob", document_id=document_id).deleted_at is None


def test_list_documents_is_newest_first_with_cursor_pagination(db: Database) -> None:
    """Following ``before`` visits each of the owner's documents once, newest first."""
    created = []
    for i in range(5):
        created.append(_add(db, sha256=f"{i:02x}" * 32)[0])
        time.sleep(0.002)  # ids carry milliseconds: a distinct one per document
    _add(db, owner="bob", sha256="ff" * 32)
    seen: list[str] = []
    before = None
    with db.read() as session:
        while page := list_documents(session, owner="alice", limit=2, before=before):
            seen += [d.id for d in page]
            before = page[-1].id
    assert seen == list(reversed(created))
