"""Following the outbox for one client: the events after its position, then each new one.

A stream and a resumed stream are the same thing: a :class:`Cursor` (whose events,
and the id after which to read) read again each time the process's
:class:`~untxt.events.fanout.EventHub` says the outbox grew. Reads run in the
thread pool, so a stream never blocks the event loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from untxt.db.session import Database
from untxt.events.fanout import EventHub
from untxt.events.reads import job_status
from untxt.queue.outbox import read_events

#: The event types after which a job has nothing more to say.
FINAL_TYPES = frozenset({"job.completed", "job.failed", "job.cancelled"})
#: The job statuses after which nothing changes.
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})
_BATCH = 100
_NO_LIMIT = 1 << 62


@dataclass(frozen=True)
class Event:
    """One outbox event as clients receive it: its id and the payload."""

    id: int
    type: str
    job_id: str
    payload: dict[str, Any]

    @property
    def final(self) -> bool:
        return self.type in FINAL_TYPES


@dataclass
class Cursor:
    """A position in the outbox: ``owner``'s events (of job ``job_id`` only, if given)
    with ids above ``after``."""

    owner: str
    job_id: str | None
    after: int

    def read(self, db: Database, horizon: int, limit: int = _BATCH) -> list[Event]:
        """The next events up to id ``horizon``, oldest first; moves the cursor past them."""
        with db.read() as session:
            rows = read_events(
                session, owner=self.owner, job_id=self.job_id, after_id=self.after, limit=limit
            )
            events = [
                Event(row.id, row.type, row.job_id, _payload(row.data))
                for row in rows
                if row.id <= horizon
            ]
        if events:
            self.after = events[-1].id
        return events

    def job_over(self, db: Database) -> bool:
        """Whether the cursor's job has ended, or is gone (deleted, expired)."""
        assert self.job_id is not None
        with db.read() as session:
            status = job_status(session, owner=self.owner, job_id=self.job_id)
        return status is None or status in FINAL_STATUSES


def _payload(data: Any) -> dict[str, Any]:
    if isinstance(data, str):  # a driver that hands JSON back as text
        loaded: dict[str, Any] = json.loads(data)
        return loaded
    return dict(data)


async def follow(
    hub: EventHub, db: Database, cursor: Cursor, *, heartbeat: float, from_now: bool = False
) -> AsyncIterator[Event | None]:
    """Yield the cursor's events as they commit, and ``None`` first and after each
    ``heartbeat`` seconds without an event (time for a keep-alive).

    With ``from_now`` the cursor starts at the newest event. A job's cursor ends
    after the job's final event, or once the job is over or gone without one (its
    events expired). The stream also ends when the hub shuts down.
    """
    with hub.subscribe() as subscription:
        await hub.ready()
        if from_now:
            cursor.after = max(cursor.after, hub.horizon)
        # A keep-alive at once: the client knows the stream is live from here on.
        yield None
        check_job = cursor.job_id is not None
        quiet_since = time.monotonic()
        while True:
            over = check_job and await run_in_threadpool(cursor.job_over, db)
            check_job = False
            # Once the job is over all its events have committed: no need to wait
            # for the horizon to pass them.
            horizon = _NO_LIMIT if over else hub.horizon
            while True:
                batch = await run_in_threadpool(cursor.read, db, horizon)
                for event in batch:
                    yield event
                    if cursor.job_id is not None and event.final:
                        return
                if batch:
                    quiet_since = time.monotonic()
                if len(batch) < _BATCH:
                    break
            if over or subscription.closed:
                return
            remaining = heartbeat - (time.monotonic() - quiet_since)
            if remaining > 0 and await subscription.wait(remaining):
                continue
            if time.monotonic() - quiet_since >= heartbeat:
                yield None
                quiet_since = time.monotonic()
                # Now and then make sure the job has not ended without a final event.
                check_job = cursor.job_id is not None
