"""The event hub alone: its horizon on PostgreSQL, and its listening connection."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import postgres_schema_url
from untxt.db import Database, upgrade
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.events import fanout
from untxt.events.fanout import EventHub
from untxt.options import JobOptions
from untxt.queue import enqueue_job
from untxt.queue.outbox import latest_event_id

pytestmark = pytest.mark.postgres
GAP = 1.0


@pytest.fixture
def pg() -> Iterator[Database]:
    for url in postgres_schema_url():
        database = Database(url)
        upgrade(database)
        yield database
        database.dispose()


def queue_job(db: Database) -> None:
    """Commit a submit, and so its ``job.queued`` event."""
    with db.write() as session:
        document, _ = add_document(
            session,
            owner="local",
            sha256=uuid.uuid4().hex * 2,
            filename="a.png",
            media_type="image/png",
            size=1,
            pages=1,
            now=utcnow(),
        )
        enqueue_job(
            session,
            owner="local",
            document=document,
            options=JobOptions(),
            max_attempts=3,
            now=utcnow(),
        )


def newest(db: Database) -> int:
    with db.read() as session:
        return latest_event_id(session)


async def until(predicate: Callable[[], bool], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.02)


def test_ids_of_a_rolled_back_transaction_hold_streams_back_only_for_a_while(
    pg: Database,
) -> None:
    async def main() -> None:
        hub = EventHub(pg, gap_timeout=GAP)
        with hub.subscribe() as subscription:
            await hub.ready()
            start = hub.horizon
            document = _document(pg)
            with contextlib.suppress(_Abandoned), pg.write() as session:
                for _ in range(2):  # each takes an event id, then all roll back
                    enqueue_job(
                        session,
                        owner="local",
                        document=document,
                        options=JobOptions(),
                        max_attempts=3,
                        now=utcnow(),
                    )
                raise _Abandoned
            queue_job(pg)
            began = time.monotonic()
            assert await subscription.wait(10)
            waited = time.monotonic() - began
            assert hub.horizon == newest(pg) == start + 3
        await hub.aclose()
        # Held back for the missing ids first, once for the whole hole, not for ever.
        assert GAP * 0.8 <= waited < GAP * 1.9

    asyncio.run(main())


class _Abandoned(Exception):
    """Raised to roll a transaction back."""


def _document(db: Database) -> DocumentRow:
    with db.write() as session:
        document, _ = add_document(
            session,
            owner="local",
            sha256=uuid.uuid4().hex * 2,
            filename="b.png",
            media_type="image/png",
            size=1,
            pages=1,
            now=utcnow(),
        )
    return document


def test_the_hub_stops_listening_when_idle_and_misses_nothing_meanwhile(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "_LISTEN_IDLE_S", 0.2)

    async def main() -> None:
        hub = EventHub(pg)
        with hub.subscribe():
            await hub.ready()
            await until(lambda: hub._listener is not None)
        await until(lambda: hub._listener is None)
        before = hub.horizon
        queue_job(pg)  # while nobody listens
        with hub.subscribe() as subscription:
            assert await subscription.wait(10)
            assert hub.horizon == newest(pg) > before
            await until(lambda: hub._listener is not None)
        await hub.aclose()
        assert hub._listener is None

    asyncio.run(main())
