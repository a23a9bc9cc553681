"""``/v1/documents``: upload, list, read, download and (soft) delete documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from untxt.api.deps import PrincipalDep, StateDep
from untxt.api.schemas import DocumentOut, ListOut
from untxt.api.uploads import receive_upload, record_upload
from untxt.auth import PermissionDeniedError, audit
from untxt.db import documents
from untxt.db.types import utcnow

router = APIRouter(prefix="/v1/documents", tags=["documents"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DocumentOut)
def upload_document(
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF, BMP, GIF or WebP.")],
    state: StateDep,
    principal: PrincipalDep,
    response: Response,
) -> DocumentOut:
    """Upload a document. The same bytes uploaded again return the existing document."""
    upload = receive_upload(file, state, owner=principal.owner)
    with state.db.write() as session:
        body = DocumentOut.of(record_upload(session, upload, owner=principal.owner)[0])
    response.headers["Location"] = body.links["self"]
    return body


@router.get("", response_model=ListOut[DocumentOut])
def list_documents(
    state: StateDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    all: Annotated[bool, Query(description="Every owner's documents (admins only).")] = False,
) -> ListOut[DocumentOut]:
    """The caller's documents, newest first."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("listing every owner's documents needs an admin account")
    with state.db.read() as session:
        if all:
            rows = documents.list_all_documents(session, limit=limit, before=cursor)
        else:
            rows = documents.list_documents(
                session, owner=principal.owner, limit=limit, before=cursor
            )
    return ListOut[DocumentOut].page(rows, limit, DocumentOut.of)


@router.get("/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, state: StateDep, principal: PrincipalDep) -> DocumentOut:
    """One document."""
    with state.db.read() as session:
        row = documents.get_document(session, owner=principal.owner, document_id=document_id)
    return DocumentOut.of(row)


@router.get("/{document_id}/content", response_class=Response)
def get_document_content(document_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    """The uploaded bytes."""
    with state.db.read() as session:
        row = documents.get_document(session, owner=principal.owner, document_id=document_id)
    return Response(state.storage.get(row.blob_key), media_type=row.media_type)


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    """Hide a document. Its jobs and their results stay readable."""
    with state.db.write() as session:
        now = utcnow()
        documents.delete_document(session, owner=principal.owner, document_id=document_id, now=now)
        audit.record(
            session,
            action="document.delete",
            actor=principal.actor,
            actor_email=principal.email,
            target=document_id,
            ip=principal.ip,
            now=now,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
