"""Statements run on the driver's connection store and return what Core executes do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import JSON, Integer, bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.queue.helpers import make_job
from untxt.db import Database
from untxt.db.driver import DriverStatement
from untxt.db.models import EventRow, TaskRow, table_of
from untxt.db.types import UTCDateTime, utcnow

EVENTS = table_of(EventRow)
TASKS = table_of(TaskRow)


def _raw(db: Database, table: str, where: str, **params: object) -> list[tuple[object, ...]]:
    """The rows as the database holds them, with no type conversion."""
    with db.read() as session:
        return [
            tuple(row)
            for row in session.execute(text(f"SELECT * FROM {table} WHERE {where}"), params)
        ]


def _task(job_id: str, page: int, now: datetime) -> dict[str, object]:
    """A queued task's row, the columns with defaults left out."""
    return {
        "job_id": job_id,
        "page": page,
        "status": "queued",
        "priority": 5,
        "run_after": now,
        "max_attempts": 3,
        "created_at": now,
        "updated_at": now,
    }


def test_an_insert_stores_what_core_stores_and_returns_converted_columns(
    db: Database,
) -> None:
    job_id = make_job(db, utcnow())
    # A time with an offset other than UTC: both ways store the same (naive UTC text on SQLite).
    now = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC).astimezone(timezone(timedelta(hours=7)))
    values = {
        "type": "job.queued",
        "job_id": job_id,
        "document_id": "doc_x",
        "owner": "alice",
        "created_at": now,
        "data": {"type": "job.queued", "text": "é \u2028", "n": [1, None]},
    }
    statement = DriverStatement(insert(EVENTS).returning(EVENTS.c.id, EVENTS.c.created_at))
    with db.write() as session:
        ((driver_id, created_at),) = statement.execute(session.connection(), values)
        core_id = session.execute(insert(EVENTS).returning(EVENTS.c.id), values).scalar_one()

    assert created_at == now and created_at.tzinfo == UTC
    (by_driver,) = _raw(db, "events", "id = :id", id=driver_id)
    (by_core,) = _raw(db, "events", "id = :id", id=core_id)
    assert by_driver[1:] == by_core[1:]


def test_many_rows_take_the_columns_defaults_as_core_does(db: Database) -> None:
    job_id = make_job(db, utcnow())
    now = utcnow()
    rows = [_task(job_id, page, now) for page in (2, 3)]
    with db.write() as session:
        DriverStatement(insert(TASKS)).execute_many(session.connection(), rows)
        session.execute(insert(TASKS), [row | {"page": row["page"] + 2} for row in rows])
    stored = _raw(db, "tasks", "job_id = :job ORDER BY page", job=job_id)
    # Page 1 is the job's own; 2-3 went through the driver, 4-5 through Core.
    assert [row[2] for row in stored] == [1, 2, 3, 4, 5]
    for driver, core in zip(stored[1:3], stored[3:], strict=True):
        assert driver[3:] == core[3:]
        assert driver[6] == 0  # attempts: the column's default


def test_a_bind_without_a_value_is_refused_before_it_runs(db: Database) -> None:
    statement = DriverStatement(select(EVENTS.c.id).where(EVENTS.c.owner == bindparam("owner")))
    with db.write() as session, pytest.raises(ValueError, match="no value"):
        statement.execute(session.connection(), {})


def test_a_textual_statement_returns_named_rows_converted_as_core_returns_them(
    db: Database,
) -> None:
    job_id = make_job(db, utcnow())
    statement = (
        text(
            "SELECT id AS job_id, owner, created_at, options, pages_total + :extra AS pages"
            " FROM jobs WHERE id = :job"
        )
        .bindparams(bindparam("extra", type_=Integer))
        .columns(created_at=UTCDateTime(), options=JSON())
    )
    params = {"job": job_id, "extra": 2}
    with db.write() as session:
        rows = DriverStatement(statement).execute(session.connection(), params)
        (core,) = session.execute(statement, params).all()

    (row,) = rows
    assert row._asdict() == dict(core._mapping)
    assert row.job_id == job_id and row.pages == core.pages
    assert row.created_at.tzinfo == UTC
    assert isinstance(row.options, dict)


def test_the_drivers_errors_come_as_sqlalchemys(db: Database) -> None:
    """A caller (and the API's error handlers) sees what a Core execute would raise."""
    row = _task("job_that_is_not_there", 1, utcnow())
    with pytest.raises(IntegrityError), db.write() as session:
        DriverStatement(insert(TASKS)).execute(session.connection(), row)
    with pytest.raises(IntegrityError), db.write() as session:
        DriverStatement(insert(TASKS)).execute_many(session.connection(), [row])


def test_a_lost_server_is_an_operational_error_and_its_connection_is_dropped(
    db: Database,
) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a server to lose is PostgreSQL's")
    statement = DriverStatement(text("SELECT 1 AS one"))
    with db.engine.connect() as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(db.conninfo(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        with pytest.raises(OperationalError) as raised:
            statement.execute(connection, {})
        assert raised.value.connection_invalidated and connection.invalidated
    with db.write() as session:
        assert statement.execute(session.connection(), {})[0].one == 1
