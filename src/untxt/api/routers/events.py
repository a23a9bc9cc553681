"""Server-Sent Events: ``GET /v1/jobs/{id}/events`` (one job) and ``GET /v1/events`` (all).

Each event goes out as ``id: <outbox id>``, ``event: <type>`` and ``data: <payload
JSON>``. A client that reconnects with ``Last-Event-ID`` (browsers do it by
themselves) or ``?after=`` gets every event after that id, then the live ones.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from fastapi.requests import HTTPConnection
from fastapi.sse import format_sse_event
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from untxt.api.deps import AppState, PrincipalDep, StateDep
from untxt.api.schemas import MAX_ROW_ID
from untxt.events.fanout import EventHub
from untxt.events.stream import FINAL_STATUSES, Cursor, Event, follow
from untxt.queue import jobs
from untxt.queue.outbox import read_events

router = APIRouter(tags=["events"])


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream``, encoded here: FastAPI's own SSE support needs a generator
    endpoint, which could not answer 204 first, and sends keep-alives on a fixed clock."""

    media_type = "text/event-stream"


def hub_of(connection: HTTPConnection) -> EventHub:
    """The process's event hub (HTTP requests and WebSockets alike)."""
    hub: EventHub = connection.app.state.event_hub
    return hub


# Async, as every dependency of a submit: a sync one would cost each request a trip
# through the thread pool (a thread wake-up and a hand-over of the GIL) for nothing.
async def get_hub(connection: HTTPConnection) -> EventHub:
    """The process's event hub, as a dependency."""
    return hub_of(connection)


HubDep = Annotated[EventHub, Depends(get_hub)]
LastEventIdHeader = Annotated[
    int | None,
    Header(
        alias="Last-Event-ID",
        ge=0,
        le=MAX_ROW_ID,
        description="Resume after this event id (sent by EventSource when it reconnects).",
    ),
]
AfterQuery = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_ROW_ID,
        description="Resume after this event id; Last-Event-ID wins if both are sent.",
    ),
]
_STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "A text/event-stream of job events."}
}


def _sse(item: Event | None) -> bytes:
    if item is None:
        return format_sse_event(comment="ping")
    data = json.dumps(item.payload, separators=(",", ":"))
    return format_sse_event(data_str=data, event=item.type, id=str(item.id))


async def _encoded(items: AsyncIterator[Event | None]) -> AsyncIterator[bytes]:
    async for item in items:
        yield _sse(item)


def _stream(items: AsyncIterator[Event | None]) -> EventStreamResponse:
    return EventStreamResponse(
        _encoded(items),
        # No caching, and no buffering by a proxy (nginx) in between.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _nothing_more(state: AppState, cursor: Cursor) -> bool:
    """Whether the cursor's job (404 if not the caller's) has ended with no event left
    after the cursor: then there is nothing to stream."""
    assert cursor.job_id is not None
    with state.db.read() as session:
        job = jobs.get_job(session, owner=cursor.owner, job_id=cursor.job_id)
        if job.status not in FINAL_STATUSES:
            return False
        return not read_events(
            session, owner=cursor.owner, job_id=cursor.job_id, after_id=cursor.after, limit=1
        )


@router.get(
    "/v1/jobs/{job_id}/events",
    response_class=EventStreamResponse,
    responses={
        **_STREAM_RESPONSES,
        204: {
            "description": "The job has ended and every event after Last-Event-ID was "
            "sent: nothing to stream (EventSource stops reconnecting)."
        },
        404: {"description": "No such job of the caller's."},
    },
)
async def job_events(
    job_id: str,
    state: StateDep,
    principal: PrincipalDep,
    hub: HubDep,
    last_event_id: LastEventIdHeader = None,
    after: AfterQuery = None,
) -> Response:
    """Follow one job: its events from the first (or after ``Last-Event-ID``), then live
    ones; the stream ends after the job's final event (completed, failed, cancelled)."""
    position = last_event_id if last_event_id is not None else after
    cursor = Cursor(owner=principal.owner, job_id=job_id, after=position or 0)
    if await run_in_threadpool(_nothing_more, state, cursor):
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return _stream(follow(hub, state.db, cursor, heartbeat=state.settings.event_heartbeat))


@router.get("/v1/events", response_class=EventStreamResponse, responses=_STREAM_RESPONSES)
async def all_events(
    state: StateDep,
    principal: PrincipalDep,
    hub: HubDep,
    last_event_id: LastEventIdHeader = None,
    after: AfterQuery = None,
) -> Response:
    """Follow all of the caller's jobs, from now (or after ``Last-Event-ID``); never ends.

    A comment line (``: ping``) keeps an idle stream open.
    """
    position = last_event_id if last_event_id is not None else after
    cursor = Cursor(owner=principal.owner, job_id=None, after=position or 0)
    return _stream(
        follow(
            hub,
            state.db,
            cursor,
            heartbeat=state.settings.event_heartbeat,
            from_now=position is None,
        )
    )
