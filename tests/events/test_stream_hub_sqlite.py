"""The event hub on SQLite: it reads the outbox only after another process committed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.events.test_stream_hub import newest
from tests.queue.helpers import OWNER
from untxt.db import Database, upgrade
from untxt.events.fanout import EventHub


@pytest.fixture
def sqlite(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    upgrade(database)
    return database


def queue_job_elsewhere(db: Database, owner: str = OWNER) -> None:
    """Commit a submit, and so its ``job.queued`` event, from another process, as a
    worker would: no commit hook of this process sees it."""
    script = (
        "import sys\n"
        "from tests.queue.helpers import make_job\n"
        "from untxt.db import Database\n"
        "from untxt.db.types import utcnow\n"
        "make_job(Database(sys.argv[1]), utcnow(), owner=sys.argv[2])\n"
    )
    url = db.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", script, url, owner], check=True, cwd=Path.cwd())


def test_a_commit_in_another_process_wakes_subscribers_and_quiet_reads_nothing(
    sqlite: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    latest_id = EventHub._latest_id

    def counted(hub: EventHub) -> int:
        nonlocal reads
        reads += 1
        return latest_id(hub)

    monkeypatch.setattr(EventHub, "_latest_id", counted)

    async def main() -> None:
        hub = EventHub(sqlite, poll_interval=0.02)
        with hub.subscribe() as subscription:
            await hub.ready()
            first = reads
            assert not await subscription.wait(0.5)  # 25 looks at a quiet file
            quiet = reads - first
            before = hub.horizon
            await asyncio.to_thread(queue_job_elsewhere, sqlite)
            assert await subscription.wait(10)
            assert hub.horizon == newest(sqlite) > before
        await hub.aclose()
        # The first look after the hub's start may read once; none after that.
        assert quiet <= 1

    asyncio.run(main())
