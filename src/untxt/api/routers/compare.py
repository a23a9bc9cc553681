"""``/v1/compare``: one document through several engines, and how far they agree."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from untxt.api.deps import AppState, PrincipalDep, StateDep
from untxt.api.schemas import BatchSubmitted
from untxt.api.submit import Accepted, create_batch_jobs, plan, submit
from untxt.api.uploads import (
    OPTIONS_HELP,
    check_options,
    parse_options,
    receive_upload,
    record_upload,
)
from untxt.auth.quotas import check_queued_jobs
from untxt.compare import Agreement, pairwise
from untxt.db.models import JobRow
from untxt.document import Document
from untxt.errors import EngineUnavailableError, InvalidOptionsError, NotFoundError
from untxt.formats.text import render_text
from untxt.options import JobOptions
from untxt.queue import batches, jobs

router = APIRouter(tags=["compare"])


class EngineReading(BaseModel):
    """One engine's reading of the document."""

    engine: str
    job_id: str
    status: str
    text: str | None = None
    confidence: float | None = None
    seconds: float | None = None
    error: str | None = None


class ComparisonOut(BaseModel):
    """Every engine's reading, and the agreement of each pair once all are done."""

    id: str
    status: Literal["processing", "completed", "failed"]
    engines: list[EngineReading]
    agreement: list[Agreement]


def _engines(requested: str | None, options: JobOptions, state: AppState) -> list[str]:
    """The engines to compare: those named, or every installed one that can run the job."""
    if requested:
        names = list(dict.fromkeys(n.strip() for n in requested.split(",") if n.strip()))
    else:
        names = [info.name for info in state.engines.describe() if info.available]
    usable = []
    for name in names:
        try:
            check_options(options.model_copy(update={"engine": name}), state)
        except EngineUnavailableError:
            if requested:
                raise
            continue
        usable.append(name)
    if len(usable) < 2:
        raise InvalidOptionsError(
            f"comparing needs two engines that can run this job; usable here: "
            f"{', '.join(usable) or 'none'}"
        )
    return usable


@router.post("/v1/compare", status_code=status.HTTP_202_ACCEPTED, response_model=BatchSubmitted)
def submit_comparison(
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF, BMP, GIF or WebP.")],
    state: StateDep,
    principal: PrincipalDep,
    options: Annotated[str | None, Form(description=OPTIONS_HELP)] = None,
    engines: Annotated[
        str | None,
        Form(description="Engines to compare, comma-separated (default: every usable one)."),
    ] = None,
) -> Response:
    """Queue one job per engine on the same file; follow them at ``/v1/compare/{id}``."""
    parsed = parse_options(options, state)
    names = _engines(engines, parsed, state)
    upload = receive_upload(file, state, owner=principal.owner)
    plans = [
        plan(state, parsed.model_copy(update={"engine": name, "outputs": ["json"]}))
        for name in names
    ]

    def create(session: Session) -> Accepted:
        check_queued_jobs(
            session, settings=state.settings, owner=principal.owner, adding=len(plans)
        )
        document, _ = record_upload(session, upload, owner=principal.owner)
        items = [(document, planned) for planned in plans]
        accepted = create_batch_jobs(session, state, owner=principal.owner, items=items)
        batch = cast(BatchSubmitted, accepted.body)
        return Accepted(lambda: batch, f"/v1/compare/{batch.id}", accepted.pages)

    return submit(state, owner=principal.owner, key=None, create=create)


def _reading(state: AppState, job: JobRow) -> EngineReading:
    reading = EngineReading(
        engine=job.options["engine"], job_id=job.id, status=job.status, error=job.error
    )
    if job.status != "completed":
        return reading
    with state.db.read() as session:
        result = jobs.get_result(session, owner=job.owner, job_id=job.id, format="json")
    document = Document.model_validate_json(state.storage.get(result.blob_key))
    reading.text = render_text(document)
    reading.confidence = document.confidence
    reading.seconds = document.seconds
    return reading


@router.get("/v1/compare/{batch_id}", response_model=ComparisonOut)
def get_comparison(batch_id: str, state: StateDep, principal: PrincipalDep) -> ComparisonOut:
    """Each engine's text, mean confidence and time; pairwise agreement once all are done."""
    with state.db.read() as session:
        batch = batches.get_batch(session, owner=principal.owner, batch_id=batch_id)
        rows = [
            jobs.get_job(session, owner=principal.owner, job_id=row.id)
            for row in batches.batch_jobs(session, batch.id)
        ]
    if not rows:
        raise NotFoundError(f"comparison {batch_id} has no jobs left")
    readings = [_reading(state, job) for job in rows]
    statuses = {reading.status for reading in readings}
    if statuses <= {"completed"}:
        overall = "completed"
        texts = {reading.engine: reading.text or "" for reading in readings}
        agreement = pairwise(texts)
    else:
        overall = "processing" if statuses & {"queued", "processing"} else "failed"
        agreement = []
    return ComparisonOut(id=batch.id, status=overall, engines=readings, agreement=agreement)
