"""Every statement the queue runs while jobs flow, each built once and named.

Building a SQLAlchemy statement costs more than running it (about 1 ms against
0.3 ms for a claim, measured), so the queue's statements are module constants
with bind parameters, executed with :func:`run`. The parameters are named for
what they carry: ``:now``, ``:owner``, ``:expires``, ``:task``, ``:job``; a
parameter that sets or matches a column of the same name is prefixed ``set_`` or
``lease_`` (SQLAlchemy reserves bare column names in UPDATE and INSERT). A time is
bound through :func:`untxt.db.types.utc_param`, as every prebuilt statement's is.

Locks are taken tasks first, then the job, in every transaction; a statement
that touches several tasks of one job skips rows others hold (see transitions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from untxt.db.models import (
    ASSEMBLE_PAGE,
    JobRow,
    ResultRow,
    TaskRow,
    WebhookSubscriptionRow,
    table_of,
)
from untxt.db.types import utc_param

TASKS = table_of(TaskRow)
JOBS = table_of(JobRow)
RESULTS = table_of(ResultRow)
SUBSCRIPTIONS = table_of(WebhookSubscriptionRow)
ACTIVE = ("queued", "processing")

#: What an event says of its job (see :func:`untxt.queue.outbox.event_payload`), as a
#: statement that reads the job, or one that changes it and returns it, selects it.
JOB_EVENT_COLUMNS = (
    JOBS.c.id,
    JOBS.c.owner,
    JOBS.c.document_id,
    JOBS.c.status,
    JOBS.c.pages_done,
    JOBS.c.pages_total,
    JOBS.c.error,
    JOBS.c.options,
    JOBS.c.created_at,
    JOBS.c.updated_at,
    # Most owners subscribe to nothing: knowing it here saves the fan-out statement.
    exists()
    .where(SUBSCRIPTIONS.c.owner == JOBS.c.owner, SUBSCRIPTIONS.c.enabled.is_(True))
    .label("subscribed"),
)


@dataclass(frozen=True)
class PerDialect:
    """A statement that takes lists, in two shapes: PostgreSQL's takes each list as one
    array, a statement of one text whatever the lengths (parsed once by the driver and
    prepared once by the server: a list of 50 ids as 50 parameters is parsed anew each
    time); the other's expands each list into parameters."""

    postgresql: Executable
    other: Executable


def per_dialect(build: Callable[[bool], Executable]) -> PerDialect:
    """Both shapes of the statement ``build(postgresql)`` makes."""
    return PerDialect(build(True), build(False))


def one_of(column: Any, name: str, postgresql: bool) -> ColumnElement[bool]:
    """``column`` is one of the list ``:name``."""
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def run(session: Session, statement: Executable | PerDialect, **params: Any) -> CursorResult[Any]:
    """Execute a prebuilt statement in the session's transaction, on its connection."""
    connection = session.connection()
    if isinstance(statement, PerDialect):
        postgresql = connection.dialect.name == "postgresql"
        statement = statement.postgresql if postgresql else statement.other
    return connection.execute(statement, params)


# -- claiming -----------------------------------------------------------------

#: Lease the highest-priority, oldest runnable task (SQLite, whose write lock
#: serialises claimers; PostgreSQL claims one as many, see :mod:`untxt.queue.batch_pg`).
CLAIM = (
    update(TASKS)
    .where(
        TASKS.c.id
        == select(TASKS.c.id)
        .where(TASKS.c.status == "queued", TASKS.c.run_after <= utc_param("now"))
        .order_by(TASKS.c.priority.desc(), TASKS.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery(),
        TASKS.c.status == "queued",
    )
    .values(
        status="processing",
        lease_owner=bindparam("owner"),
        lease_expires_at=utc_param("expires"),
        attempts=TASKS.c.attempts + 1,
        updated_at=utc_param("now"),
    )
    .returning(TASKS.c.id, TASKS.c.job_id, TASKS.c.page, TASKS.c.attempts, TASKS.c.max_attempts)
)

#: The runnable tasks a claim of many takes, picked once, before the update (SQLite;
#: PostgreSQL claims in one statement, see :mod:`untxt.queue.batch_pg`).
_PICKED = (
    select(TASKS.c.id)
    .where(TASKS.c.status == "queued", TASKS.c.run_after <= utc_param("now"))
    .order_by(TASKS.c.priority.desc(), TASKS.c.id)
    .limit(bindparam("limit"))
    .cte("picked")
)

#: Lease up to ``:limit`` runnable tasks at once, best first (a worker that takes
#: several; each then goes its own way, as leases taken one by one do).
CLAIM_MANY = (
    update(TASKS)
    .where(TASKS.c.id.in_(select(_PICKED.c.id)), TASKS.c.status == "queued")
    .values(
        status="processing",
        lease_owner=bindparam("owner"),
        lease_expires_at=utc_param("expires"),
        attempts=TASKS.c.attempts + 1,
        updated_at=utc_param("now"),
    )
    .returning(
        TASKS.c.id,
        TASKS.c.job_id,
        TASKS.c.page,
        TASKS.c.attempts,
        TASKS.c.max_attempts,
        TASKS.c.priority,
    )
)

#: The job of a claimed task is processing; its attempts are its tasks' most.
START_JOB = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status.in_(ACTIVE))
    .values(
        status="processing",
        started_at=func.coalesce(JOBS.c.started_at, utc_param("now")),
        attempts=case(
            (JOBS.c.attempts < bindparam("lease_attempts"), bindparam("lease_attempts")),
            else_=JOBS.c.attempts,
        ),
        updated_at=utc_param("now"),
    )
)

#: The first claim of a queued job; :data:`START_JOB` serves the later ones.
START_QUEUED_JOB = START_JOB.where(JOBS.c.status == "queued")

#: The first claims of queued jobs, at once (a first claim is the task's first try).
START_QUEUED_JOBS = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("jobs", expanding=True)), JOBS.c.status == "queued")
    .values(
        status="processing",
        started_at=func.coalesce(JOBS.c.started_at, utc_param("now")),
        attempts=case((JOBS.c.attempts < 1, 1), else_=JOBS.c.attempts),
        updated_at=utc_param("now"),
    )
    .returning(*JOB_EVENT_COLUMNS)
)

#: The condition under which a lease still holds its task: every write of a
#: worker for its task carries it, so a worker that lost the lease changes nothing.
FENCE = and_(
    TASKS.c.id == bindparam("task"),
    TASKS.c.lease_owner == bindparam("owner"),
    TASKS.c.attempts == bindparam("lease_attempts"),
    TASKS.c.status == "processing",
)

HEARTBEAT = (
    update(TASKS)
    .where(FENCE)
    .values(lease_expires_at=utc_param("expires"), updated_at=utc_param("now"))
)

# -- finishing ------------------------------------------------------------------

#: End the lease with a new status: done (with the page's result), queued again
#: (to run after ``:run_after``), failed or cancelled.
FINISH_TASK = (
    update(TASKS)
    .where(FENCE)
    .values(
        status=bindparam("set_status"),
        result_key=bindparam("set_result_key"),
        error=bindparam("set_error"),
        run_after=utc_param("set_run_after"),
        lease_owner=None,
        lease_expires_at=None,
        updated_at=utc_param("now"),
    )
)


#: End many leases of one owner as done at once; each ``(task, attempts)`` pair of
#: ``:fences`` fences its own, and those returned are the leases that still held.
FINISH_TASKS_DONE = (
    update(TASKS)
    .where(
        tuple_(TASKS.c.id, TASKS.c.attempts).in_(bindparam("fences", expanding=True)),
        TASKS.c.lease_owner == bindparam("owner"),
        TASKS.c.status == "processing",
    )
    .values(
        status="done",
        result_key=None,
        error=None,
        run_after=utc_param("now"),
        lease_owner=None,
        lease_expires_at=None,
        updated_at=utc_param("now"),
    )
    .returning(TASKS.c.id)
)

COUNT_PAGE = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status == "processing")
    .values(pages_done=JOBS.c.pages_done + 1, updated_at=utc_param("now"))
    .returning(JOBS.c.pages_done, JOBS.c.pages_total, JOBS.c.cancel_requested)
)

#: The assembly task, created already leased to the worker that finished the last page.
INSERT_ASSEMBLY = (
    insert(TASKS)
    .values(
        job_id=bindparam("job"),
        page=ASSEMBLE_PAGE,
        status="processing",
        priority=10,
        run_after=utc_param("now"),
        attempts=1,
        max_attempts=bindparam("set_max_attempts"),
        lease_owner=bindparam("owner"),
        lease_expires_at=utc_param("expires"),
        created_at=utc_param("now"),
        updated_at=utc_param("now"),
    )
    .returning(TASKS.c.id)
)

COMPLETE_JOB = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status == "processing")
    .values(
        status=case((JOBS.c.cancel_requested, "cancelled"), else_="completed"),
        error=None,
        finished_at=utc_param("now"),
        updated_at=utc_param("now"),
    )
    .returning(JOBS.c.status)
)

#: The pages of one-page jobs counted and the jobs completed, in one statement; a job
#: whose cancel was asked stays processing, for its cancel to be settled.
COUNT_AND_COMPLETE = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("jobs", expanding=True)), JOBS.c.status == "processing")
    .values(
        pages_done=JOBS.c.pages_done + 1,
        status=case((JOBS.c.cancel_requested, JOBS.c.status), else_="completed"),
        error=case((JOBS.c.cancel_requested, JOBS.c.error), else_=None),
        finished_at=case((JOBS.c.cancel_requested, JOBS.c.finished_at), else_=utc_param("now")),
        updated_at=utc_param("now"),
    )
    .returning(*JOB_EVENT_COLUMNS, JOBS.c.cancel_requested)
)

INSERT_RESULT = insert(RESULTS)

# -- ending jobs ------------------------------------------------------------------

JOB_STATE = select(JOBS.c.status, JOBS.c.cancel_requested).where(JOBS.c.id == bindparam("job"))

RUNNING_TASKS = (
    select(func.count())
    .select_from(TASKS)
    .where(TASKS.c.job_id == bindparam("job"), TASKS.c.status == "processing")
)

#: Cancel a job's unfinished tasks, skipping rows another transaction holds
#: (that holder sees the job ended and stands down).
CANCEL_UNFINISHED_TASKS = (
    update(TASKS)
    .where(
        TASKS.c.id.in_(
            select(TASKS.c.id)
            .where(TASKS.c.job_id == bindparam("job"), TASKS.c.status.in_(ACTIVE))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(
        status="cancelled", lease_owner=None, lease_expires_at=None, updated_at=utc_param("now")
    )
)

CANCEL_QUEUED_TASKS = (
    update(TASKS)
    .where(TASKS.c.job_id == bindparam("job"), TASKS.c.status == "queued")
    .values(status="cancelled", updated_at=utc_param("now"))
)

FAIL_JOB = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status.in_(ACTIVE))
    .values(
        status="failed",
        error=bindparam("set_error"),
        finished_at=utc_param("now"),
        updated_at=utc_param("now"),
    )
)

REQUEST_CANCEL = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status.in_(ACTIVE))
    .values(cancel_requested=True, updated_at=utc_param("now"))
)

CANCEL_JOB = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.status.in_(ACTIVE))
    .values(status="cancelled", finished_at=utc_param("now"), updated_at=utc_param("now"))
)

# -- reaping ------------------------------------------------------------------

EXPIRED_LEASES = (
    select(TASKS.c.id, TASKS.c.job_id, TASKS.c.page, TASKS.c.attempts, TASKS.c.max_attempts)
    .where(TASKS.c.status == "processing", TASKS.c.lease_expires_at < utc_param("now"))
    .order_by(TASKS.c.id)
    .with_for_update(skip_locked=True)
)

#: End an expired lease, unless a heartbeat renewed it meanwhile.
REAP_TASK = (
    update(TASKS)
    .where(
        TASKS.c.id == bindparam("task"),
        TASKS.c.status == "processing",
        TASKS.c.attempts == bindparam("lease_attempts"),
        TASKS.c.lease_expires_at < utc_param("now"),
    )
    .values(
        status=bindparam("set_status"),
        run_after=utc_param("set_run_after"),
        error=bindparam("set_error"),
        lease_owner=None,
        lease_expires_at=None,
        updated_at=utc_param("now"),
    )
)
