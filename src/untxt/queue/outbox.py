"""The event outbox: each job state change is a row of ``events``, written in its transaction.

A reader (server-sent events, WebSocket, the webhook deliverer) never misses an
event that committed and never sees one that did not: the row exists exactly when
the change does. :func:`record_event` also fans the event out to the owner's
webhook subscriptions and to the job's own ``webhook_url`` (rows of
``webhook_deliveries``, same transaction), and wakes readers once it commits:

- on PostgreSQL with ``pg_notify('untxt_events', '<id>')``, which the server sends
  only if the transaction commits, to every process listening on the channel;
- in the committing process by calling the callbacks given to :func:`on_commit`.

Readers poll too, as a fallback for a lost wake-up.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, exists, func, insert, literal, or_, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from untxt.db.extractions import event_fields
from untxt.db.models import (
    EVENT_TYPES,
    EventRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
    table_of,
)
from untxt.db.types import utc_param
from untxt.metrics import hooks as metrics_hooks
from untxt.queue.statements import JOB_EVENT_COLUMNS, JOBS, RESULTS, SUBSCRIPTIONS, run

__all__ = [
    "EVENTS",
    "EVENTS_CHANNEL",
    "EVENT_TYPES",
    "EventRow",
    "delete_expired_events",
    "deliveries_due",
    "event_payload",
    "latest_event_id",
    "on_commit",
    "on_deliveries",
    "read_events",
    "record_event",
]

#: The PostgreSQL ``NOTIFY`` channel; the payload is the new event's id.
EVENTS_CHANNEL = "untxt_events"

EVENTS = table_of(EventRow)
DELIVERIES = table_of(WebhookDeliveryRow)

_SESSION_KEY = "untxt_last_event_id"
_DELIVERIES_KEY = "untxt_deliveries_due"

JOB_FOR_EVENT = select(*JOB_EVENT_COLUMNS).where(JOBS.c.id == bindparam("job"))

_RESULT_FORMATS = (
    select(RESULTS.c.format).where(RESULTS.c.job_id == bindparam("job")).order_by(RESULTS.c.format)
)

_EVENT_COLUMNS = ("type", "job_id", "document_id", "owner", "created_at", "data")
_INSERT_EVENT = insert(EVENTS).returning(EVENTS.c.id)
#: PostgreSQL: the insert and its NOTIFY in one statement (one round trip less per event).
_INSERTED = (
    insert(EVENTS)
    .values({name: bindparam(name, type_=EVENTS.c[name].type) for name in _EVENT_COLUMNS})
    .returning(EVENTS.c.id)
    .cte("inserted")
)
_INSERT_EVENT_AND_NOTIFY = select(
    _INSERTED.c.id, func.pg_notify(literal(EVENTS_CHANNEL), cast(_INSERTED.c.id, String))
)

_now = utc_param("now")

#: Durable fan-out: one pending delivery per enabled subscription of the owner
#: that takes the event's type.
_FAN_OUT = insert(DELIVERIES).from_select(
    [
        "event_id",
        "subscription_id",
        "owner",
        "url",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ],
    select(
        bindparam("event"),
        SUBSCRIPTIONS.c.id,
        SUBSCRIPTIONS.c.owner,
        SUBSCRIPTIONS.c.url,
        literal("pending"),
        literal(0),
        _now,
        _now,
        _now,
    ).where(
        SUBSCRIPTIONS.c.owner == bindparam("owner"),
        SUBSCRIPTIONS.c.enabled.is_(True),
        or_(
            SUBSCRIPTIONS.c.event_types == "*",
            SUBSCRIPTIONS.c.event_types.like(bindparam("pattern")),
        ),
    ),
)

_INSERT_DELIVERY = insert(DELIVERIES)

_LATEST = select(func.max(EVENTS.c.id))


_listeners: list[Callable[[int], None]] = []
_delivery_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def iso(value: datetime) -> str:
    """``value`` as events write a time: ISO 8601, ``Z`` for UTC."""
    # Keyed by the offset too: equal instants in two zones are written apart.
    return _iso_in(value, value.utcoffset())


@functools.lru_cache(maxsize=4096)
def _iso_in(value: datetime, _offset: timedelta | None) -> str:
    # Cached: the events a worker writes together share their time, and often their job's.
    return value.isoformat().replace("+00:00", "Z")


def result_links(job_id: str, formats: Iterable[str]) -> dict[str, str]:
    """The addresses of a completed job's results, by format, as its event gives them."""
    return {fmt: f"/v1/jobs/{job_id}/result?format={fmt}" for fmt in formats}


def event_payload(
    job: Any,
    *,
    type: str,
    now: datetime,
    result_formats: list[str] | None = None,
    fields: tuple[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The payload clients receive for an event of ``type`` about ``job`` (a jobs row);
    ``fields`` are the document type and field names of a completed job that extracted
    them (the values are in the result, not in the event)."""
    data: dict[str, Any] = {
        "job_id": job.id,
        "document_id": job.document_id,
        "owner": job.owner,
        "status": job.status,
        "progress": {"pages_done": job.pages_done, "pages_total": job.pages_total},
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }
    if job.status == "failed":
        data["error"] = job.error
    if job.status == "completed" and result_formats is not None:
        data["results"] = result_links(job.id, result_formats)
    if job.status == "completed" and fields is not None:
        data["document_type"], data["fields"] = fields
    return {"type": type, "timestamp": iso(now), "data": data}


def event_recorded(session: Session, event_id: int) -> None:
    """Note an event written by a statement of the caller's own: readers in this process
    are told of it when the transaction commits (see :func:`on_commit`)."""
    session.info[_SESSION_KEY] = max(event_id, session.info.get(_SESSION_KEY, 0))


def event_row(
    session: Session, job: Any, *, type: str, now: datetime, formats: list[str] | None
) -> dict[str, Any]:
    fields = None
    if job.status == "completed" and (job.options or {}).get("extract"):
        fields = event_fields(session, job.id)
    payload = event_payload(job, type=type, now=now, result_formats=formats, fields=fields)
    metrics_hooks.job_event(session, type, job, now)
    return {
        "type": type,
        "job_id": job.id,
        "document_id": job.document_id,
        "owner": job.owner,
        "created_at": now,
        "data": payload,
    }


def route_event(session: Session, job: Any, *, event_id: int, type: str, now: datetime) -> None:
    """The deliveries of an event: one per subscription that takes it, one to the job's
    own webhook."""
    if job.subscribed:
        run(session, _FAN_OUT, event=event_id, owner=job.owner, pattern=f"%,{type},%", now=now)
        deliveries_due(session)
    webhook_url = (job.options or {}).get("webhook_url")
    if webhook_url:
        deliveries_due(session)
        run(
            session,
            _INSERT_DELIVERY,
            event_id=event_id,
            subscription_id=None,
            owner=job.owner,
            url=webhook_url,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )


def record_event(session: Session, *, type: str, job_id: str, now: datetime) -> int:
    """Write an event of ``type`` about job ``job_id`` in the session's transaction.

    The payload is built from the job row as this transaction sees it. Returns the
    event's id.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    job = run(session, JOB_FOR_EVENT, job=job_id).one()
    formats = None
    if job.status == "completed":
        formats = list(run(session, _RESULT_FORMATS, job=job_id).scalars())
    row = event_row(session, job, type=type, now=now, formats=formats)
    postgres = session.get_bind().dialect.name == "postgresql"
    event_id: int = run(
        session, _INSERT_EVENT_AND_NOTIFY if postgres else _INSERT_EVENT, **row
    ).one()[0]
    route_event(session, job, event_id=event_id, type=type, now=now)
    event_recorded(session, event_id)
    return event_id


def read_events(
    session: Session,
    *,
    owner: str | None,
    job_id: str | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[EventRow]:
    """Events after ``after_id``, oldest first: the owner's (``None``: everyone's),
    of one job when ``job_id`` is given."""
    query = select(EventRow).where(EventRow.id > after_id)
    if owner is not None:
        query = query.where(EventRow.owner == owner)
    if job_id is not None:
        query = query.where(EventRow.job_id == job_id)
    return list(session.scalars(query.order_by(EventRow.id).limit(limit)))


def latest_event_id(session: Session) -> int:
    """The newest event's id, 0 when there is none."""
    return int(session.execute(_LATEST).scalar_one_or_none() or 0)


def delete_expired_events(session: Session, *, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` events recorded before ``cutoff``, oldest first, with their
    deliveries and attempts; returns how many. An event still being delivered stays."""
    pending = exists().where(DELIVERIES.c.event_id == EVENTS.c.id, DELIVERIES.c.status == "pending")
    ids = list(
        session.scalars(
            select(EVENTS.c.id)
            .where(EVENTS.c.created_at < cutoff, ~pending)
            .order_by(EVENTS.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    deliveries = select(DELIVERIES.c.id).where(DELIVERIES.c.event_id.in_(ids))
    attempts = table_of(WebhookAttemptRow)
    session.execute(delete(attempts).where(attempts.c.delivery_id.in_(deliveries)))
    session.execute(delete(DELIVERIES).where(DELIVERIES.c.event_id.in_(ids)))
    session.execute(delete(EVENTS).where(EVENTS.c.id.in_(ids)))
    return len(ids)


def on_commit(callback: Callable[[int], None]) -> Callable[[], None]:
    """Call ``callback(last_event_id)`` after each commit in this process that recorded
    events; returns a function that stops it. Callbacks must be quick and not raise."""
    with _listeners_lock:
        _listeners.append(callback)

    def remove() -> None:
        with _listeners_lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return remove


def deliveries_due(session: Session) -> None:
    """Note that this transaction made webhook deliveries due: once it commits, the
    callbacks given to :func:`on_deliveries` run."""
    session.info[_DELIVERIES_KEY] = True


def on_deliveries(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback()`` after each commit in this process that made deliveries due
    (most events have no webhook to go to); returns a function that stops it."""
    with _listeners_lock:
        _delivery_listeners.append(callback)

    def remove() -> None:
        with _listeners_lock:
            if callback in _delivery_listeners:
                _delivery_listeners.remove(callback)

    return remove


def events_committed(event_id: int | None, *, deliveries: bool) -> None:
    """Tell this process's listeners what a commit made: events up to ``event_id``
    (:func:`on_commit`) and, with ``deliveries``, webhook deliveries due
    (:func:`on_deliveries`). A session's commit tells them of what
    :func:`event_recorded` and :func:`deliveries_due` noted; a statement committed
    without a session (:meth:`untxt.db.Database.statements`) tells them itself."""
    with _listeners_lock:
        listeners = list(_listeners) if event_id is not None else []
        delivery_listeners = list(_delivery_listeners) if deliveries else []
    if event_id is not None:
        for callback in listeners:
            callback(event_id)
    for wake in delivery_listeners:
        wake()


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    event_id = session.info.pop(_SESSION_KEY, None)
    events_committed(event_id, deliveries=session.info.pop(_DELIVERIES_KEY, False))


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)
    session.info.pop(_DELIVERIES_KEY, None)
