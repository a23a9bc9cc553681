"""Workers as real processes: killed workers, graceful shutdown, the pool's supervision."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import samples
from tests.api.helpers import submit
from tests.conftest import drain, make_settings
from tests.worker.helpers import (
    alive,
    children,
    job_row,
    output,
    start,
    task_statuses,
    wait_for,
)
from untxt.app import create_app
from untxt.config import Settings
from untxt.db.models import ResultRow
from untxt.engines import EngineRegistry
from untxt.options import DEFAULT_FORMATS
from untxt.worker import Worker, WorkerPool

# Enough text that Tesseract takes a second or more on the page.
# The queue and the processes are under test; the timings here are Tesseract's.
TESSERACT = {"engine": "tesseract"}
SLOW_PAGE = [f"LINE {i} THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG {i}" for i in range(40)]


@pytest.fixture
def lease_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", lease_ttl=2.0)


@pytest.fixture
def api(lease_settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    with TestClient(create_app(lease_settings, engines=engines)) as client:
        yield client


def test_job_whose_worker_dies_runs_again_and_completes_once(
    api: TestClient, lease_settings: Settings, engines: EngineRegistry
) -> None:
    state = api.app.state.untxt  # type: ignore[attr-defined]
    job = submit(api, samples.png(SLOW_PAGE, size=28), options=TESSERACT).json()
    doomed = start(["worker", "--concurrency", "1"], lease_settings)
    try:
        wait_for(lambda: task_statuses(state.db, job["id"]).get(1) == "processing")
        os.killpg(doomed.pid, signal.SIGKILL)  # the whole machine is lost, mid-page
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            os.killpg(doomed.pid, signal.SIGKILL)
    assert job_row(state.db, job["id"]).status == "processing"

    rescuer = Worker(lease_settings, db=state.db, storage=state.storage, engines=engines)
    assert rescuer.run_once() is None  # the dead worker's lease still holds
    time.sleep(lease_settings.lease_ttl + 0.2)
    assert rescuer.reap() == 1
    wait_for(lambda: rescuer.run_once() is not None, timeout=5)  # after the retry backoff

    done = api.get(f"/v1/jobs/{job['id']}").json()
    assert done["status"] == "completed"
    assert done["attempts"] == 2
    text = api.get(f"/v1/jobs/{job['id']}/result?format=text").text
    assert "QUICK" in text and "LAZY DOG 39" in text
    with state.db.read() as session:
        results = session.scalar(
            select(func.count()).select_from(ResultRow).where(ResultRow.job_id == job["id"])
        )
    assert results == len(DEFAULT_FORMATS)  # one row per format: completed exactly once


def test_sigterm_finishes_the_page_in_hand_and_loses_nothing(
    api: TestClient, lease_settings: Settings, engines: EngineRegistry
) -> None:
    state = api.app.state.untxt  # type: ignore[attr-defined]
    pages = [SLOW_PAGE[:20]] * 2 + [["LAST PAGE"]]
    job = submit(api, samples.pdf(pages, dpi=150, size=28), options=TESSERACT).json()
    # A stopping pool waits one lease TTL for the page in hand: longer than a page takes
    # on a loaded machine, so that the page is finished rather than left to the reaper.
    process = start(["worker", "--concurrency", "1"], lease_settings.with_overrides(lease_ttl=30))
    wait_for(lambda: "processing" in task_statuses(state.db, job["id"]).values())

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)

    assert process.returncode == 0, output(process)
    statuses = task_statuses(state.db, job["id"])
    assert "processing" not in statuses.values()  # finished, not abandoned
    assert "done" in statuses.values()
    assert "queued" in statuses.values()  # the rest waits for the next worker
    rest = Worker(lease_settings, db=state.db, storage=state.storage, engines=engines)
    drain(rest)
    assert job_row(state.db, job["id"]).status == "completed"


def test_pool_replaces_a_dead_worker_and_uses_every_process(
    api: TestClient, lease_settings: Settings
) -> None:
    state = api.app.state.untxt  # type: ignore[attr-defined]
    pool = WorkerPool(lease_settings.with_overrides(poll_interval=0.1), 2)
    pool.start()
    try:
        wait_for(lambda: pool.alive() == 2)
        victim = children(os.getpid())
        first = pool._processes[0].pid
        assert first in victim
        os.kill(first, signal.SIGKILL)  # type: ignore[arg-type]
        wait_for(lambda: pool.alive() == 2 and pool._processes[0].pid != first, timeout=10)

        job = submit(
            api, samples.pdf([["POOL ONE"], ["POOL TWO"]], dpi=100), options=TESSERACT
        ).json()
        wait_for(lambda: job_row(state.db, job["id"]).status == "completed", timeout=60)
    finally:
        pool.stop(timeout=30)
    assert pool.alive() == 0
    text = api.get(f"/v1/jobs/{job['id']}/result?format=text").text
    assert "POOL ONE" in text and "POOL TWO" in text


def test_orphaned_workers_stop_when_the_pool_process_dies(
    api: TestClient, lease_settings: Settings
) -> None:
    parent = start(["worker", "--concurrency", "2"], lease_settings)
    try:
        wait_for(lambda: len(children(parent.pid)) == 2 + 1, timeout=30)  # + resource tracker
        workers = children(parent.pid)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        wait_for(lambda: not any(alive(pid) for pid in workers), timeout=15)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
