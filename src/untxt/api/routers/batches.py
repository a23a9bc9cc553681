"""``/v1/jobs/batch`` and ``/v1/batches``: queue many documents in one call, follow them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from untxt.api import idempotency
from untxt.api.deps import AppState, PrincipalDep, StateDep
from untxt.api.idempotency import IdempotencyKey, IdempotencyKeyDep
from untxt.api.schemas import BatchCreate, BatchOut, BatchSubmitted
from untxt.api.submit import Accepted, create_batch_jobs, plan, submit
from untxt.api.uploads import (
    OPTIONS_HELP,
    Upload,
    check_options,
    parse_options,
    receive_upload,
    record_upload,
)
from untxt.auth.quotas import check_queued_jobs
from untxt.db.documents import get_documents
from untxt.errors import (
    BatchTooLargeError,
    NotFoundError,
    UnsupportedContentTypeError,
    UntxtError,
)
from untxt.queue import batches

router = APIRouter(tags=["batches"])

# Starlette's own default; a larger UNTXT_MAX_BATCH raises it.
_FORM_MAX_FILES = 1000


def _json_schema() -> dict[str, Any]:
    schema = BatchCreate.model_json_schema(ref_template="#/components/schemas/{model}")
    # JobCreate and JobOptions: in the components already, through POST /v1/jobs.
    schema.pop("$defs", None)
    return schema


# The route reads its body itself (JSON or multipart), so it describes it by hand.
_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "PDF, PNG, JPEG, TIFF, BMP, GIF or WebP files.",
                        },
                        "options": {
                            "type": "string",
                            "description": OPTIONS_HELP + " Applied to every file.",
                        },
                    },
                }
            },
        },
    }
}


@contextmanager
def _item(field: str, index: int) -> Iterator[None]:
    """Name the item of the batch that an error is about, in its detail and as ``item``."""
    try:
        yield
    except UntxtError as exc:
        exc.args = (f"{field}[{index}]: {exc}",)
        exc.extra["item"] = index
        raise


def _check_size(state: AppState, count: int) -> None:
    if count > state.settings.max_batch:
        raise BatchTooLargeError(
            f"a batch holds at most {state.settings.max_batch} documents; this one has {count}"
        )


def _submit_documents(
    state: AppState, owner: str, key: IdempotencyKey | None, request: BatchCreate
) -> Response:
    """Queue uploaded documents, each with its own options."""
    _check_size(state, len(request.jobs))
    checked = []
    for index, item in enumerate(request.jobs):
        with _item("jobs", index):
            checked.append(check_options(item.options, state))
    plans = [plan(state, options) for options in checked]

    def create(session: Session) -> Accepted:
        check_queued_jobs(session, settings=state.settings, owner=owner, adding=len(plans))
        found = get_documents(
            session, owner=owner, document_ids=[item.document_id for item in request.jobs]
        )
        for index, item in enumerate(request.jobs):
            if item.document_id not in found:
                with _item("jobs", index):
                    raise NotFoundError(f"no document {item.document_id!r}")
        items = [
            (found[item.document_id], planned)
            for item, planned in zip(request.jobs, plans, strict=True)
        ]
        return create_batch_jobs(session, state, owner=owner, items=items)

    bound = key.bind(request.model_dump(mode="json")) if key else None
    return submit(state, owner=owner, key=bound, create=create)


def _submit_files(
    state: AppState,
    owner: str,
    key: IdempotencyKey | None,
    files: list[UploadFile],
    options: str | None,
) -> Response:
    """Upload files and queue them all with the same options."""
    _check_size(state, len(files))
    parsed = parse_options(options, state)
    uploads: list[Upload] = []
    for index, file in enumerate(files):
        with _item("files", index):
            pending = sum(upload.size for upload in uploads)
            uploads.append(receive_upload(file, state, owner=owner, pending=pending, settled=False))
    plans = [plan(state, parsed) for _ in uploads]  # one job each

    def create(session: Session) -> Accepted:
        check_queued_jobs(session, settings=state.settings, owner=owner, adding=len(uploads))
        items = [
            (record_upload(session, upload, owner=owner)[0], planned)
            for upload, planned in zip(uploads, plans, strict=True)
        ]
        return create_batch_jobs(session, state, owner=owner, items=items)

    bound = (
        key.bind(
            {
                "options": parsed.model_dump(mode="json"),
                "files": [upload.sha256 for upload in uploads],
            }
        )
        if key
        else None
    )
    response = submit(state, owner=owner, key=bound, create=create)
    for upload in uploads:  # on the device before the 202, as the rows are
        upload.settle()
    return response


def _parse_json(body: bytes) -> BatchCreate:
    try:
        return BatchCreate.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _form_files(form: FormData) -> tuple[list[UploadFile], str | None]:
    """The ``files`` and ``options`` fields of a multipart batch."""
    fields = form.getlist("files")
    files = [field for field in fields if isinstance(field, UploadFile)]
    problems: list[dict[str, Any]] = [
        {"loc": ["body", "files", index], "msg": "Expected a file", "type": "file_type"}
        for index, field in enumerate(fields)
        if not isinstance(field, UploadFile)
    ]
    if not fields:
        problems.append({"loc": ["body", "files"], "msg": "Field required", "type": "missing"})
    raw = form.get("options")
    options = raw if isinstance(raw, str) else None
    if raw is not None and options is None:
        problems.append(
            {"loc": ["body", "options"], "msg": "Expected a JSON string", "type": "string_type"}
        )
    if problems:
        raise RequestValidationError(problems)
    return files, options


@router.post(
    "/v1/jobs/batch",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchSubmitted,
    openapi_extra={**_REQUEST_BODY, **idempotency.OPENAPI},
)
async def submit_batch(
    request: Request, state: StateDep, principal: PrincipalDep, key: IdempotencyKeyDep
) -> Response:
    """Queue up to UNTXT_MAX_BATCH documents in one call, all or none.

    Either JSON, ``{"jobs": [{"document_id": ..., "options": {...}}, ...]}`` for
    documents uploaded before, or multipart with repeated ``files`` fields and one
    optional ``options`` field for all of them. Every item is checked before
    anything is created; an error names the item (``item`` in the problem).
    """
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        max_files = max(_FORM_MAX_FILES, state.settings.max_batch + 1)
        async with request.form(max_files=max_files) as form:
            files, options = _form_files(form)
            return await run_in_threadpool(
                _submit_files, state, principal.owner, key, files, options
            )
    if media_type == "application/json" or media_type.endswith("+json"):
        parsed = _parse_json(await request.body())
        return await run_in_threadpool(_submit_documents, state, principal.owner, key, parsed)
    raise UnsupportedContentTypeError("send a batch as application/json or as multipart/form-data")


@router.get("/v1/batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: str, state: StateDep, principal: PrincipalDep) -> BatchOut:
    """A batch: its jobs' ids in submission order, and how many are in each status."""
    with state.db.read() as session:
        batch = batches.get_batch(session, owner=principal.owner, batch_id=batch_id)
        jobs = batches.batch_jobs(session, batch.id)
    return BatchOut.of(batch, [(job.id, job.status) for job in jobs])
