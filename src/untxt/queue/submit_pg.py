"""A submit on PostgreSQL in one statement: the job, its tasks, its queued event, that
event's webhook deliveries, and the wake-ups of workers and event readers.

Each statement is a round trip to the server; the submit's six (a completed job to
reuse, job, tasks, event payload read back, event, notify) took most of its time
there. Data-modifying ``WITH`` clauses all run, in one statement, whatever the final
``SELECT`` reads.
The event's payload is built here from the values inserted, as
:func:`untxt.queue.outbox.record_event` would build it from the row.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from untxt.db.driver import DriverStatement
from untxt.db.types import utc_param
from untxt.queue.notify import CHANNEL
from untxt.queue.outbox import (
    EVENTS_CHANNEL,
    deliveries_due,
    event_payload,
    event_recorded,
    events_committed,
)

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
        SELECT v.id, v.owner, v.document_id, 'queued', v.priority, :options, v.pages_total,
               0, 0, false, :now, :now, v.batch_id, v.batch_index, v.options_fingerprint
        FROM (SELECT CAST(:id AS VARCHAR) AS id, CAST(:owner AS VARCHAR) AS owner,
                     CAST(:document_id AS VARCHAR) AS document_id,
                     CAST(:priority AS INTEGER) AS priority,
                     CAST(:pages_total AS INTEGER) AS pages_total,
                     CAST(:batch_id AS VARCHAR) AS batch_id,
                     CAST(:batch_index AS INTEGER) AS batch_index,
                     CAST(:options_fingerprint AS VARCHAR) AS options_fingerprint) AS v
        WHERE NOT CAST(:look_for_reuse AS BOOLEAN) OR NOT EXISTS (
            SELECT FROM jobs
            WHERE jobs.document_id = v.document_id
              AND jobs.options_fingerprint = v.options_fingerprint
              AND jobs.owner = v.owner AND jobs.status = 'completed'
        )
        RETURNING id
    ), task AS (
        INSERT INTO tasks (job_id, page, status, priority, run_after, attempts, max_attempts,
                           created_at, updated_at)
        SELECT job.id, page, 'queued', :priority, :now, 0, :max_attempts, :now, :now
        FROM job, generate_series(1, :pages_total) AS page
    ), event AS (
        INSERT INTO events (type, job_id, document_id, owner, created_at, data)
        SELECT 'job.queued', job.id, CAST(:document_id AS VARCHAR), CAST(:owner AS VARCHAR),
               :now, :data
        FROM job
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
           pg_notify('{EVENTS_CHANNEL}', CAST(event.id AS TEXT)) AS events_told,
           pg_notify('{CHANNEL}', '') AS workers_told
    FROM event
    """
).bindparams(
    utc_param("now"),
    bindparam("options", type_=JSON()),
    bindparam("data", type_=JSON()),
)
_SUBMIT = DriverStatement(SUBMIT)


def submit_job(
    db: Session | Connection,
    values: dict[str, Any],
    *,
    max_attempts: int,
    now: datetime,
    look_for_reuse: bool,
) -> bool:
    """Insert a queued job of ``values`` (the jobs row) with its tasks and queued event;
    ``False``, inserting nothing, when ``look_for_reuse`` and the owner has a completed
    job of the same document and options (the caller then sees whether to reuse it).

    In a session's transaction, this process's event readers and webhook deliverer are
    told when it commits; on a connection whose statements commit on their own
    (:meth:`untxt.db.Database.statements`) the job is committed when this returns, and
    they are told at once."""
    session, connection = (db, db.connection()) if isinstance(db, Session) else (None, db)
    payload = event_payload(SimpleNamespace(**values), type="job.queued", now=now)
    rows = _SUBMIT.execute(
        connection,
        {
            **values,
            "now": now,
            "max_attempts": max_attempts,
            "data": payload,
            "webhook_url": (values["options"] or {}).get("webhook_url"),
            "look_for_reuse": look_for_reuse,
        },
    )
    if not rows:
        return False
    (row,) = rows
    if session is None:
        events_committed(row.id, deliveries=bool(row.deliveries))
        return True
    event_recorded(session, row.id)
    if row.deliveries:
        deliveries_due(session)
    return True
