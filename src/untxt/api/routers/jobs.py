"""``/v1/jobs`` and ``/v1/ocr``: submit OCR jobs, follow them, fetch their results."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal, cast

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile as StarletteUploadFile

from untxt.api import idempotency
from untxt.api.deps import (
    NO_CONTROL_CHARACTERS,
    AppState,
    PrincipalDep,
    StateDep,
    get_principal,
    get_state,
)
from untxt.api.fast_route import fast_path_route, is_multipart, read_form
from untxt.api.idempotency import IdempotencyKey, IdempotencyKeyDep, get_idempotency_key
from untxt.api.results import download_link, read_result
from untxt.api.routers import page_images
from untxt.api.routers.events import hub_of
from untxt.api.schemas import JobCreate, JobListOut, JobOut, JobStatus
from untxt.api.submit import Accepted, accepted_job, enqueue, plan, submit, submit_now
from untxt.api.submit_line import Prepared
from untxt.api.uploads import (
    OPTIONS_HELP,
    check_options,
    parse_options,
    receive_upload,
    record_upload,
)
from untxt.api.waiting import FinishedJobOut, WaitFormatQuery, WaitQuery, answer_when_finished
from untxt.auth import PermissionDeniedError, audit
from untxt.auth.quotas import check_queued_jobs
from untxt.db.documents import get_document
from untxt.db.types import utcnow
from untxt.errors import InvalidOptionsError
from untxt.formats import FORMATS
from untxt.options import FormatName
from untxt.queue import jobs
from untxt.queue.listing import (
    JobFilter,
    count_jobs,
    get_job_with_filename,
    list_job_page,
    queue_positions,
)
from untxt.queue.retention import result_blob_keys
from untxt.storage.keys import job_blob_prefix

router = APIRouter(tags=["jobs"])
# Blobs per "does a result still use these?" lookup when a job is deleted.
_DELETE_BATCH = 500


async def submit_ocr(
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, TIFF, BMP, GIF or WebP.")],
    state: StateDep,
    principal: PrincipalDep,
    key: IdempotencyKeyDep,
    options: Annotated[str | None, Form(description=OPTIONS_HELP)] = None,
    wait: WaitQuery = None,
    format: WaitFormatQuery = "json",
) -> Response:
    """Upload a file and queue it for OCR in one call; returns before any OCR runs, or,
    with ``wait``, once the job has finished if that takes at most ``wait`` seconds."""
    # In line with the process's other uploads (AppState.submit_line), first come first
    # served.
    accepted, upload = await state.submit_line.run(
        partial(_prepare_ocr, file, state, principal.owner, key, options, format if wait else None)
    )
    # The rows were written while the upload's bytes went to the device; the 202 waits
    # for both, and the next upload takes its turn meanwhile.
    await upload.settled()
    if not wait:
        return accepted
    # The event hub is looked up here, not as a dependency: only a submit that waits needs it.
    return await answer_when_finished(
        request, state, hub_of(request), accepted, owner=principal.owner, wait=wait, format=format
    )


async def _plain_submit_ocr(request: Request) -> Response | None:
    """``POST /v1/ocr`` as nearly every submit comes (a file, maybe options, nothing in
    the query), without FastAPI's parameter solving; ``None`` for any other request,
    which :func:`submit_ocr` answers (see :mod:`untxt.api.fast_route`)."""
    if request.scope["query_string"] or not is_multipart(request):
        return None
    form = await read_form(request)
    file, options = form.get("file"), form.get("options")
    if not isinstance(file, StarletteUploadFile) or not isinstance(options, str | None):
        return None
    if len(form.multi_items()) != len(form) or len(form) != 1 + (options is not None):
        return None  # a field repeated, or one that is not the endpoint's
    state = await get_state(request)
    principal = await get_principal(request)
    key = await get_idempotency_key(request)
    # FastAPI hands the endpoint the same Starlette object; an empty field is one not sent.
    upload = cast(UploadFile, file)
    return await submit_ocr(request, upload, state, principal, key, options or None)


router.add_api_route(
    "/v1/ocr",
    submit_ocr,
    methods=["POST"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    responses={
        200: {
            "model": FinishedJobOut,
            "description": "With wait: the job finished in time; here it is, with its result.",
        }
    },
    openapi_extra=idempotency.OPENAPI,
    route_class_override=fast_path_route(_plain_submit_ocr),
)


def _prepare_ocr(
    file: UploadFile,
    state: AppState,
    owner: str,
    key: IdempotencyKey | None,
    options: str | None,
    wait_format: FormatName | None,
) -> Prepared:
    """The file work of ``POST /v1/ocr``, on a thread of the submit line: it reads and
    stores the upload, whose bytes may still be on their way to the device (see
    :meth:`Upload.settled`), and says how to write its rows."""
    parsed = parse_options(options, state)
    if wait_format is not None and wait_format not in parsed.outputs:
        raise InvalidOptionsError(
            f"format {wait_format!r} is not among the job's outputs "
            f"({', '.join(parsed.outputs)}); add it to outputs or ask for another"
        )
    upload = receive_upload(file, state, owner=owner, settled=False)
    planned = plan(state, parsed)

    def create(session: Session) -> Accepted:
        check_queued_jobs(session, settings=state.settings, owner=owner, adding=1)
        document, created = record_upload(session, upload, owner=owner)
        job = enqueue(
            session,
            state,
            owner=owner,
            document=document,
            planned=planned,
            now=utcnow(),
            new_document=created,
        )
        return accepted_job(job, filename=document.filename)

    bound = (
        key.bind({"options": parsed.model_dump(mode="json"), "file": upload.sha256})
        if key
        else None
    )
    return Prepared(owner, bound, create, upload)


@router.post(
    "/v1/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobOut,
    openapi_extra=idempotency.OPENAPI,
)
def submit_job(
    request: JobCreate, state: StateDep, principal: PrincipalDep, key: IdempotencyKeyDep
) -> Response:
    """Queue an uploaded document for OCR."""
    planned = plan(state, check_options(request.options, state))
    owner = principal.owner
    if key is None:
        answered = submit_now(state, owner=owner, document_id=request.document_id, planned=planned)
        if answered is not None:
            return answered

    def create(session: Session) -> Accepted:
        check_queued_jobs(session, settings=state.settings, owner=owner, adding=1)
        document = get_document(session, owner=owner, document_id=request.document_id)
        job = enqueue(session, state, owner=owner, document=document, planned=planned, now=utcnow())
        return accepted_job(job, filename=document.filename)

    bound = key.bind(request.model_dump(mode="json")) if key else None
    # A write block where submit_now could not: on SQLite, with an Idempotency-Key (stored
    # in the same transaction), or for a job to reuse or extract with the owner's templates.
    return submit(state, owner=owner, key=bound, create=create, one_statement=True)


@router.get("/v1/jobs", response_model=JobListOut)
def list_jobs(
    state: StateDep,
    principal: PrincipalDep,
    status: JobStatus | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=255,
            pattern=NO_CONTROL_CHARACTERS,
            description="Only jobs whose document's file name holds this text (any case); "
            "empty for all.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None,
        Query(description="next_cursor of the previous page", pattern=NO_CONTROL_CHARACTERS),
    ] = None,
    count: Annotated[
        bool, Query(description="Also count every matching job, as total (one more query).")
    ] = False,
    all: Annotated[bool, Query(description="Every owner's jobs (admins only).")] = False,
) -> JobListOut:
    """The caller's jobs, newest first, optionally only those in one status or of a file name."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("listing every owner's jobs needs an admin account")
    where = JobFilter(owner=None if all else principal.owner, status=status, q=q or None)
    with state.db.read() as session:
        rows = list_job_page(session, where, limit=limit, before=cursor)
        queued = [job.id for job, _ in rows if job.status == "queued"]
        positions = queue_positions(session, queued, now=utcnow())
        total = count_jobs(session, where) if count else None
    return JobListOut.of(rows, limit, positions=positions, total=total)


@router.get("/v1/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: str, state: StateDep, principal: PrincipalDep) -> JobOut:
    """A job's status and progress; a queued job's place in the queue."""
    with state.db.read() as session:
        job, filename = get_job_with_filename(session, owner=principal.owner, job_id=job_id)
        position = None
        if job.status == "queued":
            position = queue_positions(session, [job.id], now=utcnow()).get(job.id)
    return JobOut.of(job, filename=filename, queue_position=position)


@router.post("/v1/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: str, state: StateDep, principal: PrincipalDep) -> JobOut:
    """Cancel a job: at once if queued, after the page in progress if processing."""
    with state.db.write() as session:
        job = jobs.cancel_job(session, owner=principal.owner, job_id=job_id, now=utcnow())
        _, filename = get_job_with_filename(session, owner=principal.owner, job_id=job_id)
    return JobOut.of(job, filename=filename)


@router.delete("/v1/jobs/{job_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_job(job_id: str, state: StateDep, principal: PrincipalDep) -> Response:
    """Delete a finished job and its results; 409 while it is queued or processing."""
    with state.db.write() as session:
        held = jobs.delete_job(session, owner=principal.owner, job_id=job_id)
        audit.record(
            session,
            action="job.delete",
            actor=principal.actor,
            actor_email=principal.email,
            target=job_id,
            ip=principal.ip,
        )
    # Everything under the job's prefix, late writes of workers that lost a lease
    # included, and the blobs its results held (another job's, when it was served from
    # the result cache), except those a result of another job still refers to.
    own = [blob.key for blob in state.storage.iter_blobs(job_blob_prefix(job_id))]
    blobs = list(dict.fromkeys([*own, *held]))
    for start in range(0, len(blobs), _DELETE_BATCH):
        batch = blobs[start : start + _DELETE_BATCH]
        with state.db.read() as session:
            shared = result_blob_keys(session, batch)
        for key in batch:
            if key not in shared:
                state.storage.delete(key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/v1/jobs/{job_id}/result",
    response_class=Response,
    responses={
        200: {
            "description": "The result; with download=url, a LinkOut (application/json).",
            "content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()},
        }
    },
)
def get_result(
    job_id: str,
    state: StateDep,
    principal: PrincipalDep,
    request: Request,
    format: FormatName = "json",
    download: Annotated[
        Literal["url"] | None,
        Query(
            description="url: answer with a link that downloads the result without "
            "credentials until it expires (UNTXT_LINK_TTL), instead of the result itself."
        ),
    ] = None,
) -> Response:
    """A completed job's result in one format: json, text, markdown, hocr, alto, html or pdf.

    The ``json`` result of a job that extracted fields holds them too, as ``fields``.
    With ``download=url``: ``{"url", "expires_at", "format", "media_type"}`` instead, a
    presigned URL of the object store (S3) or a link this server signed.
    """
    if download == "url":
        link = download_link(state, request, owner=principal.owner, job_id=job_id, format=format)
        return Response(link.model_dump_json(), media_type="application/json")
    served = read_result(state, owner=principal.owner, job_id=job_id, format=format)
    return Response(served.body, media_type=served.media_type)


router.include_router(page_images.router)
