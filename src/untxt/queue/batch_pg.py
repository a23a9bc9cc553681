"""The claim of many tasks and the completion of many one-page jobs on PostgreSQL, each
in one statement.

A worker that takes tasks in batches spent most of its time in round trips: a claim
was three statements (the tasks, their jobs, the events), a completion four. Here
data-modifying ``WITH`` clauses put the tasks' and the jobs' updates in one statement,
each job row returned as the statement changed it, for its events. Locks are still
taken tasks first, then jobs, and the same fences hold: a task is leased only while
queued, a lease ends only under its own ``(task, attempts)`` and owner, and a job
moves only from the state each step expects.

The statements are text: SQLAlchemy 2.1 loses the values of anonymous bind parameters
in a data-modifying ``WITH`` clause that another one reads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeEngine

from untxt.db.types import UTCDateTime, utc_param
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

#: Lease up to ``:limit`` runnable tasks, best first, and start their queued jobs: a row
#: per task (``task_id``, ``job_id``, ``page``, ``attempts``, ``max_attempts``,
#: ``priority``) with, where this claim started its job, the job as an event tells of
#: it (``id`` is null otherwise).
#:
#: The tasks are picked once, before the update (a subquery inlined into it may run
#: again and pick more than ``:limit``), and joined to it by primary key: an ``IN`` on
#: the picked ids let the planner hash-join every queued task instead.
CLAIM_AND_START = (
    text(
        f"""
        WITH picked AS MATERIALIZED (
            SELECT id FROM tasks
            WHERE status = 'queued' AND run_after <= :now
            ORDER BY priority DESC, id
            LIMIT :limit
            FOR UPDATE SKIP LOCKED
        ), claimed AS (
            UPDATE tasks
            SET status = 'processing', lease_owner = :owner, lease_expires_at = :expires,
                attempts = tasks.attempts + 1, updated_at = :now
            WHERE tasks.id = ANY(ARRAY(SELECT id FROM picked)) AND tasks.status = 'queued'
            RETURNING tasks.id, tasks.job_id, tasks.page, tasks.attempts, tasks.max_attempts,
                      tasks.priority
        ), started AS (
            UPDATE jobs
            SET status = 'processing', started_at = coalesce(jobs.started_at, :now),
                attempts = greatest(jobs.attempts, 1), updated_at = :now
            WHERE jobs.id = ANY(ARRAY(SELECT job_id FROM claimed)) AND jobs.status = 'queued'
            RETURNING {_JOB_EVENT}
        )
        SELECT claimed.id AS task_id, claimed.job_id, claimed.page, claimed.attempts,
               claimed.max_attempts, claimed.priority, started.*
        FROM claimed LEFT JOIN started ON started.id = claimed.job_id
        """
    )
    .bindparams(utc_param("now"), utc_param("expires"))
    .columns(**_JOB_EVENT_TYPES)
)

#: End each lease ``(:fence_tasks[i], :fence_attempts[i])`` of ``:owner`` that still
#: holds as done, and count the page of its job, which completes a one-page job unless
#: its cancel was asked (it stays processing, for the cancel to be settled): a row per
#: lease that held (``task_id``, ``job_id``) with, where its job was processing, the
#: job as an event tells of it and ``cancel_requested`` (``id`` is null otherwise).
FINISH_AND_COUNT = (
    text(
        f"""
        WITH done AS (
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
        )
        SELECT done.id AS task_id, done.job_id, ended.*
        FROM done LEFT JOIN ended ON ended.id = done.job_id
        """
    )
    .bindparams(
        utc_param("now"),
        bindparam("fence_tasks", type_=ARRAY(BigInteger)),
        bindparam("fence_attempts", type_=ARRAY(Integer)),
    )
    .columns(**_JOB_EVENT_TYPES)
)
