"""Events about many jobs at once, for a worker that claims or finishes many: the same
rows, payloads and deliveries as :func:`untxt.queue.outbox.record_event` writes one by
one, in a few statements whatever their number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, bindparam, cast, column, func, insert, literal, select
from sqlalchemy.orm import Session

from untxt.db.types import utc_param
from untxt.metrics import hooks as metrics_hooks
from untxt.queue.outbox import (
    EVENT_TYPES,
    EVENTS,
    EVENTS_CHANNEL,
    event_recorded,
    event_row,
    route_event,
)
from untxt.queue.statements import RESULTS, one_of, per_dialect, run

_RESULT_FORMATS_OF = per_dialect(
    lambda pg: (
        select(RESULTS.c.job_id, RESULTS.c.format)
        .where(one_of(RESULTS.c.job_id, "jobs", pg))
        .order_by(RESULTS.c.job_id, RESULTS.c.format)
    )
)
#: SQLite: many rows of parameters, one statement.
_INSERT_EVENTS = insert(EVENTS).returning(EVENTS.c.id, EVENTS.c.type, EVENTS.c.job_id)
#: PostgreSQL: the rows as one JSON array, a statement of one text for any number.
_ROWS = (
    func.json_to_recordset(bindparam("rows", type_=JSON))
    .table_valued(
        column("type", String),
        column("job_id", String),
        column("document_id", String),
        column("owner", String),
        column("data", JSON),
    )
    .render_derived(with_types=True)
)
_INSERTED = (
    insert(EVENTS)
    .from_select(
        ["type", "job_id", "document_id", "owner", "created_at", "data"],
        select(
            _ROWS.c.type,
            _ROWS.c.job_id,
            _ROWS.c.document_id,
            _ROWS.c.owner,
            utc_param("now"),
            _ROWS.c.data,
        ),
    )
    .returning(EVENTS.c.id, EVENTS.c.type, EVENTS.c.job_id)
    .cte("inserted")
)
#: The insert and one notice for all its events (listeners read every event after the
#: last they saw), in one statement.
_INSERT_EVENT_ROWS = select(
    _INSERTED.c.id,
    _INSERTED.c.type,
    _INSERTED.c.job_id,
    select(func.pg_notify(literal(EVENTS_CHANNEL), cast(func.max(_INSERTED.c.id), String)))
    .scalar_subquery()
    .label("notified"),
)


def record_events(
    session: Session,
    events: Sequence[tuple[str, Any]],
    *,
    now: datetime,
    formats: Mapping[str, list[str]] | None = None,
) -> list[int]:
    """Write ``events``, each a type and the job it is about, as
    :func:`~untxt.queue.outbox.record_event` writes one, in their order. A job is a row
    of :data:`~untxt.queue.statements.JOB_EVENT_COLUMNS` as this transaction sees it (as
    the statement that changed it returned it). ``formats`` are the result formats of
    the completed jobs, in order, where the caller knows them (it stored them); they are
    read otherwise. Returns the events' ids."""
    if unknown := {type for type, _ in events} - set(EVENT_TYPES):
        raise ValueError(f"unknown event types {sorted(unknown)}")
    if len({(type, job.id) for type, job in events}) != len(events):
        raise ValueError("one event of a type per job")
    if not events:
        return []
    completed = sorted({job.id for _, job in events if job.status == "completed"})
    known = dict(formats or {})
    to_read = [job_id for job_id in completed if job_id not in known]
    known.update({job_id: [] for job_id in to_read})
    if to_read:
        for row in run(session, _RESULT_FORMATS_OF, jobs=to_read):
            known[row.job_id].append(row.format)
    rows = [
        event_row(session, job, type=type, now=now, formats=known.get(job.id))
        for type, job in events
    ]
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        columns = ("type", "job_id", "document_id", "owner", "data")
        as_json = [{name: row[name] for name in columns} for row in rows]
        inserted = connection.execute(_INSERT_EVENT_ROWS, {"rows": as_json, "now": now})
    else:
        inserted = connection.execute(_INSERT_EVENTS, rows)
    by_event = {(row.type, row.job_id): row.id for row in inserted}
    ids = [by_event[type, job.id] for type, job in events]
    for (type, job), event_id in zip(events, ids, strict=True):
        route_event(session, job, event_id=event_id, type=type, now=now)
    event_recorded(session, max(ids))
    return ids


def events_written(
    session: Session, events: Sequence[tuple[str, Any, int]], *, now: datetime
) -> None:
    """Count and route events that a statement of the caller's wrote, and announced, as
    :func:`record_events` does those it writes: each a type, the job it is about (as
    the statement returned it) and the event's id, in the order written."""
    for type, job, event_id in events:
        metrics_hooks.job_event(session, type, job, now)
        route_event(session, job, event_id=event_id, type=type, now=now)
    if events:
        event_recorded(session, max(event_id for _, _, event_id in events))
