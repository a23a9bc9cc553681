"""The claim of many tasks and the completion of many one-page jobs on PostgreSQL, each
in one statement.

A worker that takes tasks in batches spent most of its time in round trips: a claim
was three statements (the tasks, their jobs, the events), a completion four. Here
data-modifying ``WITH`` clauses put the tasks' and the jobs' updates in one statement,
each job row returned as the statement changed it, for its events. Locks are still
taken tasks first, then jobs, and the same fences hold: a task is leased only while
queued, a lease ends only under its own ``(task, attempts)`` and owner, and a job
moves only from the state each step expects.

The events of these changes are written by the same statements, their payloads built
by PostgreSQL as :func:`~untxt.queue.outbox.event_payload` builds them (a test compares
the two), and one notice tells listeners of them: the worker neither builds a payload
nor spends a round trip on them. A completion that stores fields writes its events as
one by one instead (their payload names the fields just stored).

The statements are text: SQLAlchemy 2.1 loses the values of anonymous bind parameters
in a data-modifying ``WITH`` clause that another one reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from untxt.db.types import UTCDateTime, utc_param
from untxt.queue.outbox import EVENTS_CHANNEL
from untxt.queue.statements import JOB_EVENT_COLUMNS

#: What an event says of its job, as :data:`~untxt.queue.statements.JOB_EVENT_COLUMNS`
#: selects it, returned by a statement that changes the job.
_JOB_EVENT = ", ".join(
    [f"jobs.{column.name}" for column in JOB_EVENT_COLUMNS if column.name != "subscribed"]
    + [
        "EXISTS (SELECT FROM webhook_subscriptions AS s"
        " WHERE s.owner = jobs.owner AND s.enabled) AS subscribed"
    ]
)
_JOB_EVENT_TYPES: dict[str, TypeEngine[Any]] = {
    "created_at": UTCDateTime(),
    "updated_at": UTCDateTime(),
    "options": JSON(),
}


def _iso_sql(column: str) -> str:
    """SQL for ``column`` (a timestamp) as :func:`~untxt.queue.outbox.iso` writes it:
    UTC, ``Z``, the microseconds only where there are any, as ``isoformat`` does."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds"
        f" FROM {utc})::bigint % 1000000 = 0 THEN '' ELSE to_char({utc}, '.US') END || 'Z'"
    )


def _payload(job: str, type: str, status: str, extra: str = "") -> str:
    """SQL for the payload of an event of ``type`` about ``job`` (a row as
    :data:`_JOB_EVENT` returns it, changed at ``:now``, written ``:now_iso``) with
    ``status``; ``extra`` adds keys after the job's own."""
    data = (
        f"'job_id', {job}.id, 'document_id', {job}.document_id, 'owner', {job}.owner,"
        f" 'status', {status}, 'progress', json_build_object('pages_done', {job}.pages_done,"
        f" 'pages_total', {job}.pages_total), 'created_at', {_iso_sql(job + '.created_at')},"
        f" 'updated_at', CAST(:now_iso AS text){extra}"
    )
    return (
        f"json_build_object('type', '{type}', 'timestamp', CAST(:now_iso AS text),"
        f" 'data', json_build_object({data}))"
    )


#: The insert of the events selected by ``{events}`` (type, job_id, document_id, owner,
#: data, in the order to write them), the ``recorded`` clause of a statement.
_RECORDED = """recorded AS (
            INSERT INTO events (type, job_id, document_id, owner, created_at, data)
            SELECT e.type, e.job_id, e.document_id, e.owner, :now, e.data
            FROM ({events}) AS e ORDER BY e.position, e.job_id
            RETURNING events.id, events.type, events.job_id
        )"""
#: One notice for all the events the statement wrote (listeners read every event after
#: the last they saw); none where it wrote none.
_RESULTS = ", 'results', coalesce(CAST(:results AS json) -> n.id, '{}'::json)"
_NOTIFIED = (
    f"(SELECT pg_notify('{EVENTS_CHANNEL}', max(id)::text) FROM recorded"
    " HAVING count(*) > 0) AS notified"
)

_PROCESSING = (
    "SELECT 0 AS position, 'job.processing' AS type, s.id AS job_id, s.document_id, s.owner,"
    f" {_payload('s', 'job.processing', 's.status')} AS data FROM started AS s"
)

#: Lease up to ``:limit`` runnable tasks, best first, start their queued jobs and write
#: the started jobs' processing events: a row per task (``task_id``, ``job_id``,
#: ``page``, ``attempts``, ``max_attempts``, ``priority``) with, where this claim started
#: its job, the job as an event tells of it and its event's ``event_id`` (``id`` is null
#: otherwise).
#:
#: The tasks are picked by ``untxt_pick_tasks`` (migrations 0011 and 0013), which walks
#: the claim index in order whatever the planner's statistics say, once, before the
#: update (a subquery inlined into it may run again and pick more than ``:limit``).
#: The update finds them where the pick locked them (``ctid``), a look-up no
#: statistics can turn into a scan of the table, and looks at no status: they were
#: locked as they were found, queued. A row the pick saw that this statement's
#: snapshot does not (a task committed in between) is left as it is, queued, for the
#: next claim.
CLAIM_AND_START = (
    text(
        f"""
        WITH picked AS MATERIALIZED (
            SELECT tid FROM untxt_pick_tasks(:now, :limit) AS tid
        ), claimed AS (
            UPDATE tasks
            SET status = 'processing', lease_owner = :owner, lease_expires_at = :expires,
                attempts = tasks.attempts + 1, updated_at = :now
            WHERE tasks.ctid = ANY(ARRAY(SELECT tid FROM picked))
            RETURNING tasks.id, tasks.job_id, tasks.page, tasks.attempts, tasks.max_attempts,
                      tasks.priority
        ), started AS (
            UPDATE jobs
            SET status = 'processing', started_at = coalesce(jobs.started_at, :now),
                attempts = greatest(jobs.attempts, 1), updated_at = :now
            WHERE jobs.id = ANY(ARRAY(SELECT job_id FROM claimed)) AND jobs.status = 'queued'
            RETURNING {_JOB_EVENT}
        ), {_RECORDED.format(events=_PROCESSING)}
        SELECT claimed.id AS task_id, claimed.job_id, claimed.page, claimed.attempts,
               claimed.max_attempts, claimed.priority, started.*,
               recorded.id AS event_id, {_NOTIFIED}
        FROM claimed LEFT JOIN started ON started.id = claimed.job_id
             LEFT JOIN recorded ON recorded.job_id = started.id
        """
    )
    .bindparams(utc_param("now"), utc_param("expires"))
    .columns(**_JOB_EVENT_TYPES)
)

_DONE_AND_ENDED = f"""
        done AS (
            UPDATE tasks
            SET status = 'done', result_key = NULL, error = NULL, run_after = :now,
                lease_owner = NULL, lease_expires_at = NULL, updated_at = :now
            FROM unnest(:fence_tasks, :fence_attempts) AS fences (task, attempts)
            WHERE tasks.id = ANY(:fence_tasks)
              AND tasks.id = fences.task AND tasks.attempts = fences.attempts
              AND tasks.lease_owner = :owner AND tasks.status = 'processing'
            RETURNING tasks.id, tasks.job_id
        ), ended AS (
            UPDATE jobs
            SET pages_done = jobs.pages_done + 1,
                status = CASE WHEN jobs.cancel_requested THEN jobs.status ELSE 'completed' END,
                error = CASE WHEN jobs.cancel_requested THEN jobs.error END,
                finished_at = CASE WHEN jobs.cancel_requested THEN jobs.finished_at
                                   ELSE :now END,
                updated_at = :now
            WHERE jobs.id = ANY(ARRAY(SELECT job_id FROM done)) AND jobs.status = 'processing'
            RETURNING {_JOB_EVENT}, jobs.cancel_requested
        )"""

_FINISH_PARAMS = (
    utc_param("now"),
    bindparam("fence_tasks", type_=ARRAY(BigInteger)),
    bindparam("fence_attempts", type_=ARRAY(Integer)),
)

#: End each lease ``(:fence_tasks[i], :fence_attempts[i])`` of ``:owner`` that still
#: holds as done, and count the page of its job, which completes a one-page job unless
#: its cancel was asked (it stays processing, for the cancel to be settled): a row per
#: lease that held (``task_id``, ``job_id``) with, where its job was processing, the
#: job as an event tells of it and ``cancel_requested`` (``id`` is null otherwise).
FINISH_AND_COUNT = (
    text(
        f"""
        WITH {_DONE_AND_ENDED}
        SELECT done.id AS task_id, done.job_id, ended.*
        FROM done LEFT JOIN ended ON ended.id = done.job_id
        """
    )
    .bindparams(*_FINISH_PARAMS)
    .columns(**_JOB_EVENT_TYPES)
)

#: A job's progress event tells of its page counted while it was processing.
_COUNTED = "'processing'"
_PROGRESS_AND_COMPLETED = (
    "SELECT 0 AS position, 'job.progress' AS type, n.id AS job_id, n.document_id, n.owner,"
    f" {_payload('n', 'job.progress', _COUNTED)} AS data"
    " FROM ended AS n UNION ALL"
    " SELECT 1, 'job.completed', n.id, n.document_id, n.owner,"
    f" {_payload('n', 'job.completed', 'n.status', _RESULTS)}"
    " FROM ended AS n WHERE n.status = 'completed'"
)

#: :data:`FINISH_AND_COUNT` that also writes the events of the jobs it counted: each
#: one's progress, then each completed one's completion, whose results are the job's
#: entry in ``:results`` (format to address, as the API serves them). A row per lease
#: that held, as that statement's, with the ids of its job's events
#: (``progress_event``, ``completed_event``; null where none).
FINISH_COUNT_AND_RECORD = (
    text(
        f"""
        WITH {_DONE_AND_ENDED}, {_RECORDED.format(events=_PROGRESS_AND_COMPLETED)},
        event_ids AS (
            SELECT job_id,
                   max(id) FILTER (WHERE type = 'job.progress') AS progress_event,
                   max(id) FILTER (WHERE type = 'job.completed') AS completed_event
            FROM recorded GROUP BY job_id
        )
        SELECT done.id AS task_id, done.job_id, ended.*, event_ids.progress_event,
               event_ids.completed_event, {_NOTIFIED}
        FROM done LEFT JOIN ended ON ended.id = done.job_id
             LEFT JOIN event_ids ON event_ids.job_id = ended.id
        """
    )
    .bindparams(*_FINISH_PARAMS, bindparam("results", type_=JSON))
    .columns(**_JOB_EVENT_TYPES)
)
