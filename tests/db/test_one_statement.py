"""Write blocks of one statement: on PostgreSQL no BEGIN and no COMMIT, the write as
atomic as ever; a block that must write more becomes one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import psycopg
import pytest
from sqlalchemy import func, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tests.queue.helpers import (
    OWNER,
    job_row,
    later,
    must_claim,
    png_document,
    result_rows,
    results_for,
    task_rows,
)
from untxt.db import Database
from untxt.db import session as session_module
from untxt.db.models import DocumentRow, JobRow
from untxt.db.session import transaction
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue import Outcome, complete_only_page
from untxt.queue.jobs import enqueue_job, enqueue_now, plan_job
from untxt.queue.outbox import on_commit, read_events

OPTIONS = JobOptions(outputs=["json", "text"])


def _document(db: Database, now: datetime, sha256: str) -> DocumentRow:
    return png_document(db, now, sha256=sha256, size=1)


def _in_transaction(session: Session) -> bool:
    """Whether the session's PostgreSQL connection is inside a transaction now."""
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


def _submit(db: Database, document: DocumentRow, now: datetime) -> tuple[str, bool]:
    """Submit a job in a write block of one statement: its id, and whether a PostgreSQL
    transaction was open after the submit."""
    with db.write(one_statement=True) as session:
        job = enqueue_job(
            session, owner=OWNER, document=document, options=OPTIONS, max_attempts=3, now=now
        )
        return job.id, db.dialect == "postgresql" and _in_transaction(session)


def _scratch(db: Database) -> None:
    with db.write() as session:
        session.execute(text("CREATE TABLE scratch (x INTEGER)"))


def _scratch_rows(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(text("SELECT x FROM scratch ORDER BY x")))


def test_a_submit_is_committed_by_its_one_statement(db: Database) -> None:
    """On PostgreSQL no transaction is open once the submit ran, and the job, its task and
    its event are there for everyone to see."""
    now = utcnow()
    job_id, in_transaction = _submit(db, _document(db, now, uuid.uuid4().hex * 2), now)
    assert not in_transaction
    assert job_row(db, job_id).status == "queued"
    assert [task.status for task in task_rows(db, job_id)] == ["queued"]
    with db.read() as session:
        assert [e.type for e in read_events(session, owner=None, job_id=job_id)] == ["job.queued"]


def test_a_second_write_in_a_block_of_one_statement_raises_before_it_runs(db: Database) -> None:
    """The first write committed on its own, as the block said it would; the second
    would have committed apart from it, so it does not run."""
    if db.dialect != "postgresql":
        pytest.skip("on SQLite a block of one statement is a transaction")
    _scratch(db)
    with (
        pytest.raises(RuntimeError, match="second write"),
        db.write(one_statement=True) as session,
    ):
        session.execute(select(func.count()).select_from(table("scratch")))  # reads are free
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.execute(text("INSERT INTO scratch VALUES (2)"))
    assert _scratch_rows(db) == [1]


def test_a_write_after_a_submit_in_a_block_of_one_statement_raises(db: Database) -> None:
    """The submit's statement runs on the driver's connection; it counts as the block's
    one write all the same."""
    if db.dialect != "postgresql":
        pytest.skip("on SQLite a block of one statement is a transaction")
    _scratch(db)
    now = utcnow()
    document = _document(db, now, uuid.uuid4().hex * 2)
    with (
        pytest.raises(RuntimeError, match="second write"),
        db.write(one_statement=True) as session,
    ):
        job = enqueue_job(
            session, owner=OWNER, document=document, options=OPTIONS, max_attempts=3, now=now
        )
        session.execute(text("INSERT INTO scratch VALUES (1)"))
    assert job_row(db, job.id).status == "queued"
    assert _scratch_rows(db) == []


def test_a_connection_is_back_to_transactions_after_a_block_of_one_statement(
    db: Database,
) -> None:
    """However the block ended, its pooled connection runs the next block as one
    transaction again, and unguarded."""
    if db.dialect != "postgresql":
        pytest.skip("on SQLite a block of one statement is a transaction")
    _scratch(db)
    with db.write(one_statement=True) as session:
        session.execute(text("INSERT INTO scratch VALUES (1)"))
    with (
        pytest.raises(RuntimeError, match="second write"),
        db.write(one_statement=True) as session,
    ):
        session.execute(text("INSERT INTO scratch VALUES (2)"))
        session.execute(text("INSERT INTO scratch VALUES (3)"))
    with pytest.raises(ValueError, match="after one"), db.write(one_statement=True) as session:
        session.execute(text("INSERT INTO scratch VALUES (4)"))
        raise ValueError("after one")
    pooled = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        assert pooled
        assert not any(connection.driver_connection.autocommit for connection in pooled)  # type: ignore[union-attr]
    finally:
        for connection in pooled:
            connection.close()
    with pytest.raises(ValueError, match="rolled back"), db.write() as session:
        session.execute(text("INSERT INTO scratch VALUES (5)"))
        session.execute(text("INSERT INTO scratch VALUES (6)"))
        raise ValueError("rolled back")
    assert _scratch_rows(db) == [1, 2, 4]


def test_transaction_makes_the_rest_of_the_block_all_or_nothing(db: Database) -> None:
    """After :func:`transaction` an error rolls every write of the block back."""
    _scratch(db)
    with pytest.raises(ValueError, match="rolled back"), db.write(one_statement=True) as session:
        transaction(session)
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.execute(text("INSERT INTO scratch VALUES (2)"))
        raise ValueError("rolled back")
    assert _scratch_rows(db) == []
    with db.write(one_statement=True) as session:
        transaction(session)
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        session.execute(text("INSERT INTO scratch VALUES (2)"))
    assert _scratch_rows(db) == [1, 2]


def test_a_submit_answered_from_the_result_cache_is_one_transaction(db: Database) -> None:
    """A repeat of a completed job writes several rows: they are written together, the
    job created completed with the first one's results."""
    now = utcnow()
    sha256 = uuid.uuid4().hex * 2
    first, _ = _submit(db, _document(db, now, sha256), now)
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        outcome = complete_only_page(session, lease, results=results_for("first"), now=now)
    assert outcome is Outcome.DONE

    repeat, in_transaction = _submit(db, _document(db, now, sha256), later(now, 10))

    assert in_transaction == (db.dialect == "postgresql")
    assert job_row(db, repeat).status == "completed"
    assert task_rows(db, repeat) == []
    assert {r.blob_key for r in result_rows(db, repeat)} == {
        r.blob_key for r in result_rows(db, first)
    }


def _submit_now(db: Database, document: DocumentRow, now: datetime) -> JobRow | None:
    """Submit a job as ``POST /v1/jobs`` does on PostgreSQL, without a session."""
    with db.statements() as connection:
        return enqueue_now(
            connection,
            plan_job(OPTIONS),
            owner=OWNER,
            document=document,
            max_attempts=3,
            now=now,
        )


def test_statements_on_their_own_are_postgresqls(db: Database) -> None:
    if db.dialect == "postgresql":
        pytest.skip("PostgreSQL has them")
    with pytest.raises(ValueError, match="PostgreSQL"), db.statements():
        pass


def test_each_statement_of_a_block_without_a_session_commits_on_its_own(
    db: Database,
) -> None:
    """A write is there for everyone as soon as it ran, and a second one is refused
    before it runs, as in a write block of one statement."""
    if db.dialect != "postgresql":
        pytest.skip("statements on their own are PostgreSQL's")
    _scratch(db)
    with pytest.raises(RuntimeError, match="second write"), db.statements() as connection:
        connection.execute(select(func.count()).select_from(table("scratch")))  # reads are free
        connection.execute(text("INSERT INTO scratch VALUES (1)"))
        assert _scratch_rows(db) == [1]
        connection.execute(text("INSERT INTO scratch VALUES (2)"))
    assert _scratch_rows(db) == [1]
    with pytest.raises(ValueError, match="rolled back"), db.write() as session:
        session.execute(text("INSERT INTO scratch VALUES (3)"))
        session.execute(text("INSERT INTO scratch VALUES (4)"))
        raise ValueError("rolled back")
    assert _scratch_rows(db) == [1]  # the pooled connection is back to transactions


def test_a_submit_without_a_session_queues_the_job_and_tells_the_readers(
    db: Database,
) -> None:
    """The job, its task and its event are committed when the block ends, and this
    process's event readers are told of the event at once."""
    if db.dialect != "postgresql":
        pytest.skip("statements on their own are PostgreSQL's")
    told: list[int] = []
    stop = on_commit(told.append)
    try:
        now = utcnow()
        job = _submit_now(db, _document(db, now, uuid.uuid4().hex * 2), now)
    finally:
        stop()
    assert job is not None
    assert job_row(db, job.id).status == "queued"
    assert [task.status for task in task_rows(db, job.id)] == ["queued"]
    with db.read() as session:
        events = read_events(session, owner=None, job_id=job.id)
    assert [event.type for event in events] == ["job.queued"]
    assert told == [events[0].id]


def test_a_submit_without_a_session_leaves_a_repeat_to_a_write_block(db: Database) -> None:
    """A repeat of a completed job takes more than one statement: nothing is written,
    and the write block that follows answers it from the result cache."""
    if db.dialect != "postgresql":
        pytest.skip("statements on their own are PostgreSQL's")
    now = utcnow()
    sha256 = uuid.uuid4().hex * 2
    first = _submit_now(db, _document(db, now, sha256), now)
    assert first is not None
    lease = must_claim(db, "w1", now)
    with db.write() as session:
        complete_only_page(session, lease, results=results_for("first"), now=now)
    with db.read() as session:
        jobs_before = session.scalar(select(func.count()).select_from(JobRow))

    assert _submit_now(db, _document(db, now, sha256), later(now, 10)) is None

    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(JobRow)) == jobs_before
    repeat, _ = _submit(db, _document(db, now, sha256), later(now, 10))
    assert job_row(db, repeat).status == "completed"


def _backend_pid(connection: Connection) -> int:
    """The server process of ``connection`` (a Core select: the guard counts no read)."""
    return int(connection.execute(select(func.pg_backend_pid())).scalar_one())


def test_a_block_without_a_session_keeps_its_connection_for_the_next(db: Database) -> None:
    """The next block gets the same connection, still committing each statement on its
    own; a write block meanwhile gets another, in a transaction."""
    if db.dialect != "postgresql":
        pytest.skip("statements on their own are PostgreSQL's")
    _scratch(db)
    with db.statements() as connection:
        first = _backend_pid(connection)
    with db.write() as session:
        assert _backend_pid(session.connection()) != first
        session.execute(text("INSERT INTO scratch VALUES (1)"))
        assert _in_transaction(session)
    with db.statements() as connection:
        assert _backend_pid(connection) == first
        connection.execute(text("INSERT INTO scratch VALUES (2)"))
        assert _scratch_rows(db) == [1, 2]  # committed by itself, seen from elsewhere


def test_a_kept_connection_that_died_while_idle_is_replaced_before_use(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept connection idle long enough is tested, as the pool tests its own: one
    whose server process is gone is dropped and the block runs on another."""
    if db.dialect != "postgresql":
        pytest.skip("statements on their own are PostgreSQL's")
    with db.statements() as connection:
        dead = _backend_pid(connection)
    with db.write() as session:
        session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
    monkeypatch.setattr(session_module, "_PING_AFTER_IDLE_S", 0.0)
    with db.statements() as connection:
        assert _backend_pid(connection) != dead
