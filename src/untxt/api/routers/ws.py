"""``WS /v1/ws``: job events over one WebSocket, for the jobs a client subscribes to.

The handshake takes the credentials HTTP requests take (``Authorization: Bearer``,
``X-API-Key`` or the session cookie; none in single-user mode). Then, as JSON text
frames, the client sends::

    {"type": "subscribe", "job_ids": ["job_..."]}    each job's events from its first
    {"type": "subscribe", "all": true}               every job of the caller's, from now
    {"type": "unsubscribe", "job_ids": [...]}        or "all": true
    {"type": "ping"}                                 answered {"type": "pong"}

``subscribe`` also takes ``"after": <event id>`` to resume. The server answers
``{"type": "subscribed"|"unsubscribed", "job_ids": [...], "all": ...}``, sends each
event as ``{"type": "event", "id": <id>, "payload": {...}}`` (the payload SSE and
webhooks carry), a ``{"type": "error", "status": ..., "detail": ...}`` for a job that
is not the caller's or a message it cannot read, and ``{"type": "ping"}`` every
``UNTXT_EVENT_HEARTBEAT`` seconds. A job's subscription ends after its final event.
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from untxt.api.deps import AppState, Principal, get_principal
from untxt.api.problems import problem
from untxt.api.routers.events import hub_of
from untxt.api.schemas import MAX_ROW_ID
from untxt.auth import PermissionDeniedError
from untxt.errors import UntxtError
from untxt.events.fanout import EventHub, Subscription
from untxt.events.reads import job_status
from untxt.events.stream import FINAL_STATUSES, FINAL_TYPES, Cursor, Event

router = APIRouter(tags=["events"])

#: Most job ids one subscribe or unsubscribe message may name.
MAX_JOB_IDS = 100
_BATCH = 100
_NO_LIMIT = 1 << 62
# Event ids already sent, so a job's event is sent once when "all" covers it too.
_RECENT_IDS = 4096
_GOING_AWAY = 1001
_POLICY_VIOLATION = 1008


class _BadMessage(Exception):
    """A client message this endpoint cannot act on."""


@dataclass
class _Follow:
    cursor: Cursor
    #: The job had ended when subscribed: read all its events at once, then drop it.
    over: bool = False


@router.websocket("/v1/ws")
async def events_socket(websocket: WebSocket) -> None:
    """Job events pushed over a WebSocket (see the module docs for the messages)."""
    state: AppState = websocket.app.state.untxt
    try:
        principal = await _authenticate(websocket, state)
    except UntxtError as exc:
        await _deny(websocket, exc)
        return
    await websocket.accept()
    await _Connection(websocket, state, hub_of(websocket), principal).serve()


async def _authenticate(websocket: WebSocket, state: AppState) -> Principal:
    """The caller, resolved exactly as for an HTTP GET with the handshake's headers."""
    request = Request({**websocket.scope, "type": "http", "method": "GET"})
    principal = await get_principal(request)
    if principal.via == "session" and not _origin_allowed(websocket, state):
        # Browsers send cookies on cross-site WebSocket handshakes: only pages of
        # this server or of an allowed origin may use the session.
        raise PermissionDeniedError("this origin may not open a WebSocket with the session")
    return principal


def _origin_allowed(websocket: WebSocket, state: AppState) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    allowed = state.settings.cors_origin_list
    if "*" in allowed or origin in allowed:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


async def _deny(websocket: WebSocket, exc: UntxtError) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        response = problem(exc.status, str(exc), slug=exc.problem, title=exc.title)
        challenge = getattr(exc, "challenge", None)
        if challenge:
            response.headers["WWW-Authenticate"] = challenge
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=_POLICY_VIOLATION, reason=str(exc)[:120])


class _Connection:
    """One client's subscriptions, the messages it sends, and the events pushed to it."""

    def __init__(
        self, websocket: WebSocket, state: AppState, hub: EventHub, principal: Principal
    ) -> None:
        self._ws = websocket
        self._state = state
        self._hub = hub
        self._owner = principal.owner
        self._follows: dict[str | None, _Follow] = {}  # by job id; None: all jobs
        self._sent: deque[int] = deque(maxlen=_RECENT_IDS)
        self._sent_set: set[int] = set()
        self._send_lock = anyio.Lock()
        self._subscription: Subscription | None = None

    async def serve(self) -> None:
        with self._hub.subscribe() as subscription:
            self._subscription = subscription
            await self._hub.ready()
            try:
                async with anyio.create_task_group() as group:
                    group.start_soon(self._push, group.cancel_scope)
                    await self._receive()
                    group.cancel_scope.cancel()
            except* WebSocketDisconnect:
                pass  # the client went away while something was being sent

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._ws.send_text(json.dumps(message, separators=(",", ":")))

    # -- client messages --------------------------------------------------------------

    async def _receive(self) -> None:
        while True:
            message = await self._ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            try:
                await self._handle(_parse(text))
            except _BadMessage as exc:
                await self._error(HTTPStatus.BAD_REQUEST, str(exc))

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "unsubscribe":
            await self._unsubscribe(message)
        elif kind == "pong":
            return
        else:
            raise _BadMessage(f"unknown message type {kind!r}: use subscribe, unsubscribe or ping")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        job_ids, everything = _targets(message)
        after = message.get("after")
        if after is not None and (not isinstance(after, int) or isinstance(after, bool)):
            raise _BadMessage("'after' must be an event id (a whole number)")
        if after is not None and not 0 <= after <= MAX_ROW_ID:
            raise _BadMessage(f"'after' must be an event id from 0 to {MAX_ROW_ID}")
        statuses = await run_in_threadpool(self._statuses, job_ids)
        found = [job_id for job_id in job_ids if statuses[job_id] is not None]
        for job_id in job_ids:
            if statuses[job_id] is None:
                await self._error(HTTPStatus.NOT_FOUND, f"no job {job_id!r}", job_id=job_id)
        await self._send({"type": "subscribed", "job_ids": found, "all": everything})
        if after is not None:  # asked for again: send again
            self._forget_after(after)
        # Added after the acknowledgement, so that it comes before their events.
        for job_id in found:
            if job_id in self._follows and after is None:
                continue
            cursor = Cursor(owner=self._owner, job_id=job_id, after=after or 0)
            self._follows[job_id] = _Follow(cursor, over=statuses[job_id] in FINAL_STATUSES)
        if everything and (None not in self._follows or after is not None):
            start = after if after is not None else self._hub.horizon
            self._follows[None] = _Follow(Cursor(owner=self._owner, job_id=None, after=start))
        if self._subscription is not None:
            self._subscription.wake()

    async def _unsubscribe(self, message: dict[str, Any]) -> None:
        job_ids, everything = _targets(message)
        removed = [job_id for job_id in job_ids if self._follows.pop(job_id, None) is not None]
        if everything:
            self._follows.pop(None, None)
        await self._send({"type": "unsubscribed", "job_ids": removed, "all": everything})

    def _statuses(self, job_ids: list[str]) -> dict[str, str | None]:
        with self._state.db.read() as session:
            return {
                job_id: job_status(session, owner=self._owner, job_id=job_id) for job_id in job_ids
            }

    async def _error(self, status: HTTPStatus, detail: str, **extra: Any) -> None:
        await self._send(
            {"type": "error", "status": int(status), "title": status.phrase, "detail": detail}
            | extra
        )

    # -- events and heartbeats --------------------------------------------------------

    async def _push(self, scope: anyio.CancelScope) -> None:
        assert self._subscription is not None
        heartbeat = self._state.settings.event_heartbeat
        next_ping = time.monotonic() + heartbeat
        while True:
            await self._push_events()
            if self._subscription.closed:  # the server is shutting down
                await self._ws.close(code=_GOING_AWAY, reason="server shutting down")
                scope.cancel()
                return
            remaining = next_ping - time.monotonic()
            if remaining > 0 and await self._subscription.wait(remaining):
                continue
            if time.monotonic() >= next_ping:
                await self._send({"type": "ping"})
                next_ping = time.monotonic() + heartbeat

    async def _push_events(self) -> None:
        """Send every subscribed event that has committed since the last push."""
        more = True
        while more:
            more = False
            batch: list[Event] = []
            for key, follow in list(self._follows.items()):
                horizon = _NO_LIMIT if follow.over else self._hub.horizon
                events = await run_in_threadpool(follow.cursor.read, self._state.db, horizon)
                batch += events
                if len(events) == _BATCH:
                    more = True
                elif (
                    key is not None
                    and (follow.over or any(e.type in FINAL_TYPES for e in events))
                    and self._follows.get(key) is follow
                ):
                    del self._follows[key]
            for event in sorted(batch, key=lambda e: e.id):
                if event.id in self._sent_set:
                    continue
                await self._send({"type": "event", "id": event.id, "payload": event.payload})
                self._remember(event.id)

    def _forget_after(self, event_id: int) -> None:
        kept = [sent for sent in self._sent if sent <= event_id]
        self._sent = deque(kept, maxlen=_RECENT_IDS)
        self._sent_set = set(kept)

    def _remember(self, event_id: int) -> None:
        if len(self._sent) == self._sent.maxlen:
            self._sent_set.discard(self._sent[0])
        self._sent.append(event_id)
        self._sent_set.add(event_id)


def _parse(text: str) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise _BadMessage("messages must be JSON objects") from None
    if not isinstance(message, dict):
        raise _BadMessage("messages must be JSON objects")
    return message


def _targets(message: dict[str, Any]) -> tuple[list[str], bool]:
    """The job ids and the ``all`` flag of a (un)subscribe message, checked."""
    job_ids = message.get("job_ids", [])
    everything = message.get("all", False)
    if not isinstance(everything, bool):
        raise _BadMessage("'all' must be true or false")
    if not isinstance(job_ids, list) or not all(isinstance(j, str) for j in job_ids):
        raise _BadMessage("'job_ids' must be a list of job ids")
    if len(job_ids) > MAX_JOB_IDS:
        raise _BadMessage(f"at most {MAX_JOB_IDS} job ids per message")
    if not job_ids and not everything:
        raise _BadMessage("name 'job_ids' or set 'all': true")
    return list(dict.fromkeys(job_ids)), everything
