"""A completed job's result as the API serves it, and links that download it without a key.

A link is the store's own presigned URL where the store can make one (S3) and the
stored bytes are the whole answer; otherwise (a local folder, or a JSON result to
which the job's extracted fields are added on the way out) a link the API signs
itself and serves at ``GET /v1/links/{token}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from fastapi import Request
from pydantic import BaseModel, Field

from untxt.api.deps import AppState
from untxt.db.extractions import extraction_data
from untxt.db.types import utcnow
from untxt.formats import FORMATS
from untxt.formats.json import with_fields
from untxt.options import FormatName
from untxt.queue import jobs
from untxt.queue.listing import get_job_with_filename
from untxt.storage.links import issue_link, link_key


@dataclass(frozen=True)
class ServedResult:
    """A result's bytes as served, and their media type."""

    body: bytes
    media_type: str


class LinkOut(BaseModel):
    """A URL that downloads a result without credentials until it expires."""

    url: str = Field(
        description="Absolute URL: the object store's presigned URL (S3), or this "
        "server's /v1/links/{token}. Anyone holding it can download the result until "
        "expires_at; after that, or changed, it answers 403."
    )
    expires_at: datetime
    format: FormatName
    media_type: str = Field(description="What the URL serves.")


def read_result(state: AppState, *, owner: str, job_id: str, format: str) -> ServedResult:
    """``owner``'s completed job's result in ``format``; a ``json`` result holds the job's
    fields too, as ``fields`` (with corrections)."""
    fields = None
    with state.db.read() as session:
        result = jobs.get_result(session, owner=owner, job_id=job_id, format=format)
        if format == "json":
            fields = extraction_data(session, job_id)
    body = state.storage.get(result.blob_key)
    if fields is not None:
        body = with_fields(body, fields)
    return ServedResult(body, result.media_type)


def download_name(filename: str, job_id: str, format: str) -> str:
    """What a downloaded result is saved as: the document's name with the format's
    extension (``scan.png`` -> ``scan.txt``)."""
    stem = PurePath(filename.replace("\\", "/")).stem or job_id
    return f"{stem}.{FORMATS[format].extension}"


def download_link(
    state: AppState, request: Request, *, owner: str, job_id: str, format: FormatName
) -> LinkOut:
    """A link to ``owner``'s completed job's result in ``format``, for ``UNTXT_LINK_TTL``."""
    with state.db.read() as session:
        result = jobs.get_result(session, owner=owner, job_id=job_id, format=format)
        _, filename = get_job_with_filename(session, owner=owner, job_id=job_id)
        assembled = format == "json" and extraction_data(session, job_id) is not None
    now = utcnow()
    # Whole seconds, as S3 takes them.
    ttl = max(1, int(state.settings.link_ttl))
    if not assembled:
        url = state.storage.presigned_url(
            result.blob_key,
            expires_in=ttl,
            media_type=result.media_type,
            filename=download_name(filename, job_id, format),
        )
        if url is not None:
            return LinkOut(
                url=url,
                expires_at=now.replace(microsecond=0) + timedelta(seconds=ttl),
                format=format,
                media_type=result.media_type,
            )
    token, expires_at = issue_link(
        key=link_key(state.accounts.signing_key()),
        job_id=job_id,
        owner=owner,
        format=format,
        now=now,
        ttl=timedelta(seconds=ttl),
    )
    return LinkOut(
        url=str(request.url_for("download_link_result", token=token)),
        expires_at=expires_at,
        format=format,
        media_type=result.media_type,
    )
