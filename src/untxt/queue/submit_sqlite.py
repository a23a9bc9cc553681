"""A submit's queued job on SQLite: the job, its ``job.queued`` event and its tasks.

Three statements on the driver's connection (see :mod:`untxt.db.driver`), in the
caller's transaction: the job (returning whether its owner has webhook
subscriptions, which the event's fan-out needs), the event, built from the values
just inserted rather than read back, and the tasks. What they store is what
:func:`untxt.queue.outbox.record_event` and the Core inserts store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, insert
from sqlalchemy.orm import Session

from untxt.db.driver import DriverStatement
from untxt.queue.outbox import EVENTS, event_recorded, event_row, route_event
from untxt.queue.statements import JOBS, SUBSCRIPTIONS, TASKS

_INSERT_JOB = DriverStatement(
    insert(JOBS).returning(
        # Most owners subscribe to nothing: knowing it here saves the fan-out statement.
        exists()
        .where(SUBSCRIPTIONS.c.owner == bindparam("subscriber"), SUBSCRIPTIONS.c.enabled.is_(True))
        .label("subscribed")
    )
)
_INSERT_EVENT = DriverStatement(insert(EVENTS).returning(EVENTS.c.id))
_INSERT_TASK = DriverStatement(insert(TASKS))


@dataclass(frozen=True)
class _QueuedJob:
    """A job as its event sees it: the columns of ``statements.JOB_EVENT_COLUMNS``."""

    id: str
    owner: str
    document_id: str
    status: str
    pages_done: int
    pages_total: int
    error: str | None
    options: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    subscribed: bool


def queue_job(
    session: Session, values: dict[str, Any], *, max_attempts: int, now: datetime
) -> None:
    """Insert the queued job ``values`` (the jobs row), its event and one task per page."""
    connection = session.connection()
    (row,) = _INSERT_JOB.execute(connection, {**values, "subscriber": values["owner"]})
    job = _QueuedJob(
        id=values["id"],
        owner=values["owner"],
        document_id=values["document_id"],
        status=values["status"],
        pages_done=values["pages_done"],
        pages_total=values["pages_total"],
        error=None,
        options=values["options"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        subscribed=bool(row[0]),
    )
    event = event_row(session, job, type="job.queued", now=now, formats=None)
    ((event_id,),) = _INSERT_EVENT.execute(connection, event)
    route_event(session, job, event_id=event_id, type="job.queued", now=now)
    event_recorded(session, event_id)
    _INSERT_TASK.execute_many(
        connection,
        (
            {
                "job_id": job.id,
                "page": page,
                "status": "queued",
                "priority": values["priority"],
                "run_after": now,
                "attempts": 0,
                "max_attempts": max_attempts,
                "created_at": now,
                "updated_at": now,
            }
            for page in range(1, job.pages_total + 1)
        ),
    )
