"""A submit on PostgreSQL in one statement: the job, its tasks, its queued event, that
event's webhook deliveries, and the wake-ups of workers and event readers.

Each statement is a round trip to the server; the submit's five (job, tasks, event
payload read back, event, notify) took most of its time there. Data-modifying
``WITH`` clauses all run, in one statement, whatever the final ``SELECT`` reads.
The event's payload is built here from the values inserted, as
:func:`untxt.queue.outbox.record_event` would build it from the row.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, bindparam, text
from sqlalchemy.orm import Session

from untxt.db.types import UTCDateTime
from untxt.queue.notify import CHANNEL
from untxt.queue.outbox import EVENTS_CHANNEL, deliveries_due, event_payload, event_recorded

_JOB_COLUMNS = (
    "id, owner, document_id, status, priority, options, pages_total, pages_done, attempts, "
    "cancel_requested, created_at, updated_at, batch_id, batch_index, options_fingerprint"
)
_DELIVERY_COLUMNS = (
    "event_id, subscription_id, owner, url, status, attempts, next_attempt_at, created_at, "
    "updated_at"
)
SUBMIT = text(
    f"""
    WITH job AS (
        INSERT INTO jobs ({_JOB_COLUMNS})
        VALUES (:id, :owner, :document_id, 'queued', :priority, :options, :pages_total, 0, 0,
                false, :now, :now, :batch_id, :batch_index, :options_fingerprint)
    ), task AS (
        INSERT INTO tasks (job_id, page, status, priority, run_after, attempts, max_attempts,
                           created_at, updated_at)
        SELECT :id, page, 'queued', :priority, :now, 0, :max_attempts, :now, :now
        FROM generate_series(1, :pages_total) AS page
    ), event AS (
        INSERT INTO events (type, job_id, document_id, owner, created_at, data)
        VALUES ('job.queued', :id, :document_id, :owner, :now, :data)
        RETURNING id
    ), fanned AS (
        INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS})
        SELECT event.id, s.id, s.owner, s.url, 'pending', 0, :now, :now, :now
        FROM event, webhook_subscriptions AS s
        WHERE s.owner = :owner AND s.enabled
          AND (s.event_types = '*' OR s.event_types LIKE '%,job.queued,%')
        RETURNING 1
    ), own AS (
        INSERT INTO webhook_deliveries ({_DELIVERY_COLUMNS})
        SELECT event.id, NULL, :owner, CAST(:webhook_url AS TEXT), 'pending', 0, :now, :now,
               :now
        FROM event
        WHERE CAST(:webhook_url AS TEXT) IS NOT NULL
        RETURNING 1
    )
    SELECT event.id,
           (SELECT count(*) FROM fanned) + (SELECT count(*) FROM own) AS deliveries,
           pg_notify('{EVENTS_CHANNEL}', CAST(event.id AS TEXT)),
           pg_notify('{CHANNEL}', '')
    FROM event
    """
).bindparams(
    bindparam("now", type_=UTCDateTime()),
    bindparam("options", type_=JSON()),
    bindparam("data", type_=JSON()),
)


def submit_job(
    session: Session, values: dict[str, Any], *, max_attempts: int, now: datetime
) -> None:
    """Insert a queued job of ``values`` (the jobs row) with its tasks and queued event."""
    payload = event_payload(SimpleNamespace(**values), type="job.queued", now=now)
    row = (
        session.connection()
        .execute(
            SUBMIT,
            {
                **values,
                "now": now,
                "max_attempts": max_attempts,
                "data": payload,
                "webhook_url": (values["options"] or {}).get("webhook_url"),
            },
        )
        .one()
    )
    event_recorded(session, row.id)
    if row.deliveries:
        deliveries_due(session)
