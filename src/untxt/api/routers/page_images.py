"""``/v1/jobs/{id}/pages/{n}/image``: a page as OCR saw it, to draw a result's boxes on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from untxt.api import page_images
from untxt.api.deps import AppState, PrincipalDep, StateDep
from untxt.api.page_images import ImageFormat, PageImage
from untxt.db.models import TERMINAL_STATUSES, DocumentRow, JobRow
from untxt.errors import DocumentGoneError, NotFoundError
from untxt.queue.jobs import get_job_document
from untxt.storage import BlobNotFoundError
from untxt.storage.keys import page_image_blob_key

router = APIRouter(tags=["jobs"])
# A finished job's page image never changes; an active one's may once its result gives
# the frame (see untxt.api.page_images), so browsers ask again sooner.
_MAX_AGE_FINISHED = 86_400
_MAX_AGE_ACTIVE = 60
_HEADERS = {
    "ETag": {"description": "Validator for If-None-Match.", "schema": {"type": "string"}},
    "X-Image-Scale": {
        "description": "Image pixels per unit of the json result's coordinates: draw a word "
        "box (x0, y0, x1, y1) at (x0 * scale, y0 * scale, ...).",
        "schema": {"type": "number"},
    },
    "X-Page-Width": {
        "description": "The page's width in result coordinates.",
        "schema": {"type": "integer"},
    },
    "X-Page-Height": {
        "description": "The page's height in result coordinates.",
        "schema": {"type": "integer"},
    },
}


@router.get(
    "/v1/jobs/{job_id}/pages/{page}/image",
    response_class=Response,
    responses={
        200: {
            "content": {"image/jpeg": {}, "image/webp": {}},
            "description": "The page image.",
            "headers": _HEADERS,
        },
        304: {"description": "Not modified: the If-None-Match tag is still current."},
        404: {"description": "No such job (or not yours), or no such page."},
        410: {"description": "The job's document was deleted or its file is gone."},
    },
)
def get_page_image(
    job_id: str,
    page: int,
    state: StateDep,
    principal: PrincipalDep,
    max_side: Annotated[
        int, Query(ge=64, le=4096, description="Longest side of the image, in pixels.")
    ] = 1600,
    format: Annotated[
        ImageFormat | None,
        Query(description="jpeg or webp; without it, the Accept header decides (else jpeg)."),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Page ``page`` (from 1) of a job's document, as OCR reads it, at most ``max_side``
    pixels on its longer side, with the scale that maps the result's boxes onto it.

    Works in every status: before a result exists, the page as loaded is the frame
    the boxes will be given in.
    """
    chosen = format or page_images.preferred_format(accept)
    with state.db.read() as session:
        job, document, json_key = get_job_document(session, owner=principal.owner, job_id=job_id)
    if not 1 <= page <= document.pages:
        raise NotFoundError(f"job {job_id} has no page {page}; its document has {document.pages}")
    if document.deleted_at is not None:
        raise DocumentGoneError(f"the document of job {job_id} was deleted; its pages are gone")
    name = page_images.variant(max_side=max_side, format=chosen, from_result=json_key is not None)
    key = page_image_blob_key(job_id, page, name)
    tag = page_images.etag(key)
    max_age = _MAX_AGE_FINISHED if job.status in TERMINAL_STATUSES else _MAX_AGE_ACTIVE
    headers = {"ETag": tag, "Cache-Control": f"private, max-age={max_age}"}
    if format is None:
        headers["Vary"] = "Accept"
    if page_images.matches(if_none_match, tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    try:
        image = PageImage.unpack(state.storage.get(key))
    except BlobNotFoundError:
        image = _make(
            state, job, document, page, json_key=json_key, max_side=max_side, format=chosen
        )
        state.storage.put(key, image.pack())
    headers["X-Image-Scale"] = f"{image.scale:.6f}"
    headers["X-Page-Width"], headers["X-Page-Height"] = map(str, image.frame)
    return Response(image.data, media_type=image.media_type, headers=headers)


def _make(
    state: AppState,
    job: JobRow,
    document: DocumentRow,
    page: int,
    *,
    json_key: str | None,
    max_side: int,
    format: ImageFormat,
) -> PageImage:
    """Render the variant: the page from the document, in the frame of the result if any."""
    try:
        data = state.storage.get(document.blob_key)
    except BlobNotFoundError:
        raise DocumentGoneError(
            f"the file of job {job.id}'s document is no longer stored"
        ) from None
    frame = None
    if json_key is not None:
        try:
            frame = page_images.result_frame(state.storage.get(json_key), page)
        except BlobNotFoundError:
            frame = None  # the page as loaded is the same frame in all but rare PDFs
    return page_images.render(
        data,
        document.media_type,
        page,
        dpi=page_images.job_dpi(job.options),
        max_pixels=state.settings.max_image_pixels,
        frame=frame,
        max_side=max_side,
        format=format,
    )
