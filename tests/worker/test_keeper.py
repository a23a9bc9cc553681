"""The lease keeper: the lease in hand stays alive while its task runs, however long."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import submit
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.config import Settings
from untxt.db.models import ASSEMBLE_PAGE
from untxt.engines import EngineRegistry
from untxt.queue import Outcome
from untxt.worker.keeper import LeaseKeeper
from untxt.worker.loop import Worker
from untxt.worker.runner import TaskRunner

TTL = 0.6


@pytest.fixture
def short_leases(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", lease_ttl=TTL)


@pytest.fixture
def client(short_leases: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(short_leases, engines=engines)) as test_client:
        yield test_client


def test_an_assembly_that_outlasts_a_lease_is_kept_alive_and_not_taken_back(
    client: TestClient, engines: EngineRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last page leads straight on to the assembly: the keeper must heartbeat the
    assembly's lease from then on, not the finished page's, or the reaper takes it back."""
    state = client.app.state.untxt  # type: ignore[attr-defined]
    worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
    store = TaskRunner._store_results
    reaped: list[int] = []

    def slow_store(runner: TaskRunner, lease: Any, *args: Any) -> Any:
        if lease.page == ASSEMBLE_PAGE:
            time.sleep(TTL * 2.5)  # a large result, rendered slowly
            reaped.append(worker.reap())
        return store(runner, lease, *args)

    monkeypatch.setattr(TaskRunner, "_store_results", slow_store)
    job = submit(client, samples.pdf([["ONE"], ["TWO"]]), filename="two.pdf").json()
    keeper = LeaseKeeper(state.db, TTL)
    try:
        assert worker.run_once(keeper) == Outcome.DONE
        assert worker.run_once(keeper) == Outcome.DONE  # the last page, then the whole
    finally:
        keeper.close()

    assert reaped == [0]
    done = client.get(f"/v1/jobs/{job['id']}").json()
    assert done["status"] == "completed"
    text = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"}).text
    assert "ONE" in text and "TWO" in text
