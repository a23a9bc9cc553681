"""``/v1/jobs/{id}/fields``: the fields a job extracted, as JSON, CSV or XML; corrections."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from untxt.api.deps import PrincipalDep, StateDep
from untxt.auth import audit
from untxt.db import extractions
from untxt.db.types import utcnow
from untxt.errors import InvalidCorrectionError
from untxt.extract.corrections import CorrectionError
from untxt.extract.export import FIELD_FORMATS

router = APIRouter(tags=["fields"])

FieldsFormat = Literal["json", "csv", "xml"]
_CONTENT: dict[str, Any] = {media.split(";")[0]: {} for _, media in FIELD_FORMATS.values()}


class FieldsPatch(BaseModel):
    """Values to set by hand: field names (``Items/<index>/<name>`` for an item's) to values.

    ``null`` clears a field; ``document_type`` may be corrected too, before the fields
    of the new type are set.
    """

    fields: dict[str, Any] = Field(
        default_factory=dict,
        max_length=100,
        description='e.g. {"Total": 12.5, "TransactionDate": "2025-03-04", '
        '"Items/0/Description": "Coffee"}',
    )
    document_type: Literal["receipt", "invoice", "utility_bill", "other"] | None = None


def _serve(data: Any, format: FieldsFormat) -> Response:
    render, media_type = FIELD_FORMATS[format]
    return Response(render(data), media_type=media_type)


@router.get(
    "/v1/jobs/{job_id}/fields", response_class=Response, responses={200: {"content": _CONTENT}}
)
def get_fields(
    job_id: str, state: StateDep, principal: PrincipalDep, format: FieldsFormat = "json"
) -> Response:
    """A completed job's fields, corrections applied: JSON (default), CSV or XML."""
    with state.db.read() as session:
        extraction = extractions.get_extraction(session, owner=principal.owner, job_id=job_id)
    return _serve(extraction, format)


@router.patch(
    "/v1/jobs/{job_id}/fields", response_class=Response, responses={200: {"content": _CONTENT}}
)
def correct_fields(
    job_id: str,
    body: FieldsPatch,
    state: StateDep,
    principal: PrincipalDep,
    format: Annotated[FieldsFormat, Query(description="How to answer.")] = "json",
) -> Response:
    """Set field values by hand; they win everywhere afterwards, the extracted value kept."""
    changes = dict(body.fields)
    if body.document_type is not None:
        changes["document_type"] = body.document_type
    if not changes:
        raise InvalidCorrectionError("nothing to correct: give fields or document_type")
    now = utcnow()
    with state.db.write() as session:
        try:
            extraction = extractions.correct_fields(
                session,
                owner=principal.owner,
                job_id=job_id,
                changes=changes,
                by=principal.actor,
                now=now,
            )
        except CorrectionError as exc:
            raise InvalidCorrectionError(str(exc)) from None
        audit.record(
            session,
            action="fields.correct",
            actor=principal.actor,
            actor_email=principal.email,
            target=job_id,
            ip=principal.ip,
            detail={"fields": sorted(changes)},
            now=now,
        )
    return _serve(extraction, format)
