"""Migrations: idempotent upgrades, the recorded revision, and a schema matching the models."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tests.conftest import postgres_schema_url
from tests.queue.helpers import make_job
from untxt.db import Database, upgrade
from untxt.db.documents import add_document
from untxt.db.migrate import alembic_config, current_revision, head_revision
from untxt.db.models import Base
from untxt.db.types import utcnow

TABLES = {"documents", "jobs", "tasks", "results", "batches", "idempotency_keys"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Skip the expression index ``ix_tasks_claim``: reflection cannot reproduce it; and the
    search tables, kept by :mod:`untxt.search` outside the models (FTS5 is a virtual table
    with shadow tables, tsvector exists on PostgreSQL only)."""
    if type_ == "table" and (name or "").startswith("search_"):
        return False
    return not (type_ == "index" and name == "ix_tasks_claim")


def _schema_diff(db: Database) -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": _include}
        )
        return list(compare_metadata(context, Base.metadata))


def _index_sql(db: Database, name: str) -> str:
    """The CREATE INDEX text the database holds for index ``name``."""
    query = (
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        if db.dialect == "sqlite"
        # Other schemas of the test server (concurrent runs) hold indexes of the same name.
        else "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        " AND schemaname = current_schema()"
    )
    with db.engine.connect() as connection:
        return str(connection.execute(text(query), {"name": name}).scalar_one())


def test_fresh_database_has_no_revision(db_url: str) -> None:
    """Before the first upgrade there is no recorded revision and no table."""
    db = Database(db_url)
    try:
        assert current_revision(db) is None
        assert not TABLES & set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_upgrade_records_the_head_revision(db: Database) -> None:
    """After upgrade the database is at the newest shipped revision, with every table."""
    assert head_revision() is not None
    assert current_revision(db) == head_revision()
    assert set(inspect(db.engine).get_table_names()) >= TABLES


def test_upgrading_twice_is_a_no_op(db: Database) -> None:
    """A second upgrade keeps the revision and the data."""
    with db.write() as session:
        add_document(
            session,
            owner="alice",
            sha256="ab" * 32,
            filename="a.png",
            media_type="image/png",
            size=1,
            pages=1,
            now=utcnow(),
        )
    upgrade(db)
    assert current_revision(db) == head_revision()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM documents")).scalar_one() == 1
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in versions] == [head_revision()]


def test_concurrent_upgrades_of_a_fresh_database_both_succeed(db_url: str) -> None:
    """Two processes starting at once on an empty database migrate it once, without errors."""
    databases = [Database(db_url), Database(db_url)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(database: Database) -> None:
        try:
            barrier.wait(timeout=10)
            upgrade(database)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert current_revision(databases[0]) == head_revision()
    finally:
        for database in databases:
            database.dispose()


def test_adding_batches_keeps_existing_jobs_tasks_and_results(db_url: str) -> None:
    """0003 adds jobs.batch_id in place: rebuilding jobs would cascade-delete tasks and results."""
    db = Database(db_url)
    try:
        upgrade(db, "0002")
        with db.write() as session:
            document, _ = add_document(
                session,
                owner="alice",
                sha256="cd" * 32,
                filename="a.png",
                media_type="image/png",
                size=1,
                pages=1,
                now=utcnow(),
            )
            # Raw SQL: the models already describe the newer schema.
            values = {"document": document.id, "now": utcnow()}
            session.execute(
                text(
                    "INSERT INTO jobs (id, owner, document_id, status, priority, options,"
                    " pages_total, pages_done, attempts, cancel_requested, created_at, updated_at)"
                    " VALUES ('job_1', 'alice', :document, 'completed', 5, '{}', 1, 1, 1, false,"
                    " :now, :now)"
                ),
                values,
            )
            session.execute(
                text(
                    "INSERT INTO tasks (job_id, page, status, priority, run_after, attempts,"
                    " max_attempts, created_at, updated_at)"
                    " VALUES ('job_1', 1, 'done', 5, :now, 1, 3, :now, :now)"
                ),
                values,
            )
            session.execute(
                text(
                    "INSERT INTO results (job_id, format, blob_key, media_type, size, created_at)"
                    " VALUES ('job_1', 'text', 'jobs/job_1/text', 'text/plain', 1, :now)"
                ),
                values,
            )

        upgrade(db)

        with db.engine.connect() as connection:
            counts = [
                connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("jobs", "tasks", "results")
            ]
            batch_id = connection.execute(text("SELECT batch_id FROM jobs")).scalar_one()
        assert counts == [1, 1, 1]
        assert batch_id is None
    finally:
        db.dispose()


def test_models_match_the_migrated_schema(db: Database) -> None:
    """Autogenerate finds no difference between the models and the migrated database."""
    assert _schema_diff(db) == []


def test_schema_comparison_notices_a_missing_index(db: Database) -> None:
    """The comparison above is sensitive: dropping an index shows up as a difference."""
    with db.write() as session:
        session.execute(text("DROP INDEX ix_jobs_owner_status_id"))
    diff = _schema_diff(db)
    assert [(d[0], d[1].name) for d in diff] == [("add_index", "ix_jobs_owner_status_id")]


def test_queue_indexes_are_partial_and_ordered(db: Database) -> None:
    """The claim index sorts priority descending over queued tasks; the lease one is partial."""
    claim = _index_sql(db, "ix_tasks_claim")
    assert "priority DESC" in claim
    assert "'queued'" in claim
    assert "'processing'" in _index_sql(db, "ix_tasks_lease")


def test_a_new_job_enters_no_index_of_a_column_it_lacks(db: Database) -> None:
    """The finish-time and batch indexes hold only jobs with the column set; the
    document's jobs are found through the result cache's index, not one of their own."""
    for name in ("ix_jobs_finished_at", "ix_jobs_batch_id"):
        assert "IS NOT NULL" in _index_sql(db, name)
    assert "ix_jobs_document_id" not in {
        index["name"] for index in inspect(db.engine).get_indexes("jobs")
    }


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ("finished_at < '2026-01-01'", "ix_jobs_finished_at"),
        ("batch_id = 'bat_1'", "ix_jobs_batch_id"),
        ("document_id = 'doc_1'", "ix_jobs_document_id_options_fingerprint"),
    ],
)
def test_lookups_of_jobs_by_a_column_use_its_index(db: Database, where: str, index: str) -> None:
    """A comparison implies the partial index's condition: the planner may use it."""
    query = f"SELECT id FROM jobs WHERE {where}"
    with db.engine.connect() as connection:
        if db.dialect == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}")
            plan = " ".join(str(row[-1]) for row in rows)
        else:
            # An empty table is read whole otherwise: only whether the index qualifies matters.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {query}"))
    assert index in plan


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    """Database() puts a SQLite file in WAL mode with foreign keys on."""
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        db.dispose()


def test_sqlite_in_memory_is_refused() -> None:
    """Worker processes must share the database, so an in-memory SQLite is an error."""
    with pytest.raises(ValueError, match="SQLite file"):
        Database("sqlite:///:memory:")


@pytest.mark.postgres
def test_the_claims_pick_is_plpgsql_from_0013_and_sql_again_below_it() -> None:
    """0013 turns the pick into PL/pgSQL, which keeps its plan; its downgrade puts the
    SQL function of 0011 back, and either picks the same tasks, best first."""
    for url in postgres_schema_url():
        db = Database(url)
        try:
            upgrade(db, "0012")
            now = utcnow()
            make_job(db, now, pages=3, priority=5)
            urgent = make_job(db, now, pages=2, priority=9)
            with db.read() as session:
                urgent_tasks = set(
                    session.scalars(
                        text("SELECT id FROM tasks WHERE job_id = :job"), {"job": urgent}
                    )
                )
            picked = _picks(db, now)
            assert set(picked[:2]) == urgent_tasks
            assert _pick_language(db) == "sql"
            upgrade(db)
            assert _pick_language(db) == "plpgsql"
            assert _picks(db, now) == picked
            with db.write() as session:
                config = alembic_config()
                config.attributes["connection"] = session.connection()
                command.downgrade(config, "0012")
            assert _pick_language(db) == "sql"
            assert current_revision(db) == "0012"
            assert _picks(db, now) == picked
        finally:
            db.dispose()


def _picks(db: Database, now: datetime) -> list[int]:
    """The ids of the tasks the pick locks, in its order, four at most (rolled back)."""
    with db.read() as session:
        return list(
            session.scalars(
                text(
                    "SELECT (SELECT id FROM tasks WHERE ctid = tid)"
                    " FROM untxt_pick_tasks(:now, 4) AS tid"
                ),
                {"now": now},
            )
        )


def _pick_language(db: Database) -> str:
    with db.engine.connect() as connection:
        return str(
            connection.execute(
                text(
                    "SELECT l.lanname FROM pg_proc AS p JOIN pg_language AS l"
                    " ON l.oid = p.prolang JOIN pg_namespace AS n ON n.oid = p.pronamespace"
                    " WHERE p.proname = 'untxt_pick_tasks' AND n.nspname = current_schema()"
                )
            ).scalar_one()
        )
