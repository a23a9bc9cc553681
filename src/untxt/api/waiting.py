"""``POST /v1/ocr?wait=N``: answer with the finished job and its result when it finishes
within N seconds, else with the usual 202.

The submit commits first, exactly as without ``wait``; then the request waits on
the process's event hub (no database connection held, no polling loop) and gives
up early if the client hangs up. The job goes on either way: a 202 is still a job
the client can follow.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Query, Request, Response, status
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from untxt.api.deps import AppState
from untxt.api.idempotency import REPLAYED_HEADER
from untxt.api.results import read_result
from untxt.api.schemas import JobOut
from untxt.events.fanout import EventHub
from untxt.events.waiting import unless_gone, wait_until_finished
from untxt.formats import FORMATS
from untxt.options import FormatName
from untxt.queue.listing import get_job_with_filename

#: The longest a submit may wait: a client wanting longer follows the job's events.
MAX_WAIT_S = 60
_KEPT_HEADERS = frozenset({"location", REPLAYED_HEADER.lower()})

WaitQuery = Annotated[
    float | None,
    Query(
        ge=0,
        le=MAX_WAIT_S,
        description="Seconds (at most 60) to wait for the job to finish: if it does, the "
        "answer is 200 with the job and its result; if not, the usual 202.",
    ),
]
WaitFormatQuery = Annotated[
    FormatName,
    Query(
        alias="format",
        description="With wait: the format of the result in a 200 answer (one of the "
        "job's outputs).",
    ),
]


class FinishedJobOut(JobOut):
    """A job that finished within ``wait``, with its result."""

    result_format: FormatName
    result: Any = Field(
        description="The result in result_format: the JSON document for json, the text "
        "for text, markdown, hocr, alto and html, base64 for pdf; null unless the job "
        "completed (see status and error)."
    )


async def _client_gone(request: Request) -> None:
    """Return once the client has disconnected; the request body has been read by now,
    so the next message is the disconnect."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _finished(state: AppState, owner: str, job_id: str, format: FormatName) -> FinishedJobOut:
    with state.db.read() as session:
        job, filename = get_job_with_filename(session, owner=owner, job_id=job_id)
    result: Any = None
    if job.status == "completed":
        served = read_result(state, owner=owner, job_id=job_id, format=format)
        if format == "json":
            result = json.loads(served.body)
        elif FORMATS[format].binary:
            result = base64.b64encode(served.body).decode("ascii")
        else:
            result = served.body.decode()
    return FinishedJobOut(
        **JobOut.of(job, filename=filename).model_dump(), result_format=format, result=result
    )


async def answer_when_finished(
    request: Request,
    state: AppState,
    hub: EventHub,
    accepted: Response,
    *,
    owner: str,
    wait: float,
    format: FormatName,
) -> Response:
    """``accepted`` (the 202 of a submit), or a 200 with the job and its result if the job
    finishes within ``wait`` seconds."""
    if accepted.status_code != status.HTTP_202_ACCEPTED:
        return accepted
    job_id = json.loads(bytes(accepted.body))["id"]
    waiting = wait_until_finished(hub, state.db, owner=owner, job_id=job_id, timeout=wait)
    if not await unless_gone(waiting, _client_gone(request)):
        return accepted
    body = await run_in_threadpool(_finished, state, owner, job_id, format)
    # The Location, and for a repeated Idempotency-Key the mark that nothing new was made.
    kept = {k: v for k, v in accepted.headers.items() if k in _KEPT_HEADERS}
    return Response(
        body.model_dump_json(),
        status_code=status.HTTP_200_OK,
        media_type="application/json",
        headers=kept,
    )
