"""Job-level transitions under contention: no waiting on each other's tasks, no stale work."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from tests.queue.helpers import (
    POLICY,
    TTL,
    job_row,
    later,
    make_job,
    must_claim,
    reap,
    task_row,
)
from untxt.db import Database
from untxt.db.models import TaskRow
from untxt.db.types import utcnow
from untxt.queue import fail_task


def test_failing_a_job_skips_tasks_another_transaction_holds(db: Database) -> None:
    """fail_job must not wait on a page locked elsewhere (the reaper, a claimer)."""
    if db.dialect != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    first = must_claim(db, "A", now)
    second = must_claim(db, "B", now)
    holding = threading.Event()
    release = threading.Event()

    def hold_second_page() -> None:
        with db.write() as session:
            session.execute(select(TaskRow).where(TaskRow.id == second.task_id).with_for_update())
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_second_page)
    holder.start()
    try:
        assert holding.wait(10)
        with db.write() as session:
            session.execute(text("SET LOCAL lock_timeout = '2s'"))
            fail_task(session, first, error="boom", permanent=True, policy=POLICY, now=now)
    finally:
        release.set()
        holder.join()

    assert job_row(db, job_id).status == "failed"
    assert task_row(db, second.task_id).status == "processing"  # skipped, not waited on


def test_reaping_a_task_of_a_failed_job_cancels_it_instead_of_requeueing(db: Database) -> None:
    now = utcnow()
    job_id = make_job(db, now, pages=2)
    first = must_claim(db, "A", now)
    second = must_claim(db, "B", now)
    # B's page is skipped by fail_job while B's row is locked elsewhere; model it by
    # failing the job first and putting B's page back to processing, as it would be.
    with db.write() as session:
        fail_task(session, first, error="boom", permanent=True, policy=POLICY, now=now)
        session.execute(
            TaskRow.__table__.update()
            .where(TaskRow.id == second.task_id)
            .values(status="processing", lease_owner="B", lease_expires_at=now)
        )

    assert reap(db, later(now, TTL + 1)) == 1

    assert task_row(db, second.task_id).status == "cancelled"
    assert job_row(db, job_id).status == "failed"


def test_started_at_is_stored_in_utc_whatever_the_zone_of_now(db: Database) -> None:
    plus_five = timezone(timedelta(hours=5))
    now = datetime(2026, 1, 2, 15, 0, tzinfo=plus_five)
    job_id = make_job(db, now)

    must_claim(db, "A", now)

    assert job_row(db, job_id).started_at == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
