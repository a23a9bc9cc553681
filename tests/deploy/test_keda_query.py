"""The chart's KEDA query, run on a real PostgreSQL queue: it counts the work for the
worker pods, pages that may run now and pages being read, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from tests.conftest import postgres_schema_url
from tests.deploy.chart import find, render
from tests.queue.helpers import finish_job, finish_page, make_job, must_claim
from untxt.db import Database, upgrade
from untxt.db.types import utcnow
from untxt.queue import Outcome
from untxt.queue.depth import WORK_FOR_WORKERS
from untxt.queue.transitions import cancel_job

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema_url()


def _chart_query() -> str:
    (scaled,) = find(render(), "ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    query: str = trigger["metadata"]["query"]
    return query


def _run(url: str, query: str) -> int:
    """Run the query as KEDA does: a plain connection, one integer back."""
    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_the_chart_runs_the_queues_own_statement() -> None:
    """The queue's SQL stays in untxt.queue: the chart holds a copy, kept equal to it."""
    assert " ".join(_chart_query().split()) == " ".join(WORK_FOR_WORKERS.split())


def test_the_query_counts_runnable_and_running_pages_only(pg_url: str) -> None:
    query = _chart_query()
    db = Database(pg_url)
    try:
        upgrade(db)
        assert _run(pg_url, query) == 0
        now = utcnow()
        # Finished: its page is done, nothing left to do.
        make_job(db, now - timedelta(minutes=1), priority=10)
        done = finish_page(db, must_claim(db, "w1", now), now)
        if done.outcome is Outcome.ASSEMBLE:
            assert done.assemble is not None
            finish_job(db, done.assemble, now)
        # Three pages: one being read, two that may run now.
        make_job(db, now - timedelta(minutes=1), pages=3, priority=9)
        must_claim(db, "w2", now)
        # Retried or delayed: not runnable before its time.
        make_job(db, now + timedelta(hours=1), pages=2, priority=9)
        # Cancelled while queued.
        cancelled = make_job(db, now - timedelta(minutes=1), priority=0)
        with db.write() as session:
            cancel_job(session, cancelled, now=now)
        assert _run(pg_url, query) == 1 + 2
    finally:
        db.dispose()
