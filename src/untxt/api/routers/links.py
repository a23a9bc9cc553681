"""``GET /v1/links/{token}``: a result downloaded through a link the server signed.

The link is the credential: no API key or session is asked for. A token that was
changed, or not signed by this server, or has expired, gets 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from untxt.api.deps import StateDep
from untxt.api.results import download_name, read_result
from untxt.formats import FORMATS
from untxt.queue.listing import get_job_with_filename
from untxt.storage.base import attachment
from untxt.storage.links import LinkError, link_key, read_link

router = APIRouter(tags=["jobs"])


@router.get(
    "/v1/links/{token}",
    name="download_link_result",
    response_class=Response,
    responses={200: {"content": {f.media_type.split(";")[0]: {} for f in FORMATS.values()}}},
)
def download(token: str, state: StateDep) -> Response:
    """A job's result through a download link (``GET /v1/jobs/{id}/result?download=url``);
    403 once it has expired or if it was changed."""
    claims = read_link(token, key=link_key(state.accounts.signing_key()))
    if claims.format not in FORMATS:
        raise LinkError("this download link names no format this server serves")
    served = read_result(state, owner=claims.owner, job_id=claims.job_id, format=claims.format)
    with state.db.read() as session:
        _, filename = get_job_with_filename(session, owner=claims.owner, job_id=claims.job_id)
    name = download_name(filename, claims.job_id, claims.format)
    return Response(
        served.body,
        media_type=served.media_type,
        headers={
            "Content-Disposition": attachment(name),
            # The link is a credential: no shared cache may keep a copy past its time.
            "Cache-Control": "private, no-store",
        },
    )
