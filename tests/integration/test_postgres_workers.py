"""Scale-out on PostgreSQL with real processes: killed workers lose nothing, run nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import samples
from tests.api.helpers import submit
from tests.integration.conftest import LEASE_TTL
from tests.worker.helpers import children, job_row, task_statuses, wait_for
from untxt.db.models import ResultRow, TaskRow
from untxt.options import DEFAULT_FORMATS

pytestmark = pytest.mark.postgres
# The queue is under test, not the engines: the timings here are Tesseract's.
TESSERACT = {"engine": "tesseract"}

Launch = Callable[..., subprocess.Popen[bytes]]
# Enough text that Tesseract takes a second or more on the page.
SLOW_PAGE = [f"LINE {i} THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG {i}" for i in range(40)]
# The reaper runs every half lease; a recovery may also wait out one retry backoff.
RECOVERY_S = LEASE_TTL + LEASE_TTL / 2 + 1
WORDS = ["Invoice", "Receipt", "Total", "Amount", "Balance", "Customer", "Order", "Service"]


def _results(api: TestClient, job_id: str) -> int:
    with api.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(func.count()).select_from(ResultRow).where(ResultRow.job_id == job_id)
            )
        )


def _holder(api: TestClient, job_id: str, page: int) -> str | None:
    with api.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        return session.scalar(
            select(TaskRow.lease_owner).where(TaskRow.job_id == job_id, TaskRow.page == page)
        )


def _pid_of(owner: str) -> int:
    return int(owner.split(":")[1])


def test_killed_worker_mid_job_is_replaced_within_the_lease(
    pg_api: TestClient, processes: Launch
) -> None:
    db = pg_api.app.state.untxt.db  # type: ignore[attr-defined]
    job = submit(pg_api, samples.png(SLOW_PAGE, size=28), options=TESSERACT).json()
    doomed = processes("worker", "--concurrency", "1")
    wait_for(lambda: task_statuses(db, job["id"]).get(1) == "processing")

    os.killpg(doomed.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    processes("worker", "--concurrency", "1")
    wait_for(lambda: job_row(db, job["id"]).status == "completed", timeout=60)
    recovered_in = time.monotonic() - killed_at

    done = pg_api.get(f"/v1/jobs/{job['id']}").json()
    assert done["attempts"] == 2
    assert _results(pg_api, job["id"]) == len(DEFAULT_FORMATS)  # one row per format: completed once
    text = pg_api.get(f"/v1/jobs/{job['id']}/result?format=text").text
    assert "LAZY DOG 39" in text
    ocr_allowance = 15  # the page itself, read again from scratch on a loaded machine
    assert recovered_in < RECOVERY_S + ocr_allowance


def test_killed_worker_mid_document_loses_and_doubles_no_page(
    pg_api: TestClient, processes: Launch
) -> None:
    db = pg_api.app.state.untxt.db  # type: ignore[attr-defined]
    # Some body text per page, so that a page takes long enough to be killed in.
    body = [f"{w} {i} quick brown fox {i * 7} jumps" for i, w in enumerate(WORDS)]
    pages = [[f"PAGE {n} OF FORTY", *body] for n in range(1, 41)]
    job = submit(
        pg_api,
        samples.pdf(pages, dpi=150, size=28),
        filename="forty.pdf",
        options={**TESSERACT, "resolution": "small", "outputs": ["json", "text"]},
    ).json()
    assert job["pages_total"] == 40
    doomed = processes("worker", "--concurrency", "1")
    processes("worker", "--concurrency", "1")
    # Kill the first worker while it holds a page, once the document is under way.
    wait_for(lambda: job_row(db, job["id"]).pages_done >= 5, timeout=60)

    def doomed_holds_a_page() -> bool:
        with db.read() as session:
            owners = session.scalars(
                select(TaskRow.lease_owner).where(
                    TaskRow.job_id == job["id"], TaskRow.status == "processing"
                )
            ).all()
        return any(owner and _pid_of(owner) in _pids(doomed) for owner in owners)

    wait_for(doomed_holds_a_page, timeout=30, interval=0.005)
    os.killpg(doomed.pid, signal.SIGKILL)

    wait_for(lambda: job_row(db, job["id"]).status == "completed", timeout=120)
    document = pg_api.get(f"/v1/jobs/{job['id']}/result?format=json").json()
    assert [page["number"] for page in document["pages"]] == list(range(1, 41))
    for number in range(1, 41):
        words = samples.json_words(document, number - 1)
        assert words[:2] == ["PAGE", str(number)], (number, words)
    statuses = task_statuses(db, job["id"])
    assert sorted(statuses) == list(range(0, 41))  # 40 pages and one assembly, no more
    assert set(statuses.values()) == {"done"}
    assert job_row(db, job["id"]).attempts == 2  # the killed worker's page ran twice
    assert _results(pg_api, job["id"]) == 2


def test_worker_that_lost_its_lease_cannot_overwrite_the_result(
    pg_api: TestClient, processes: Launch
) -> None:
    db = pg_api.app.state.untxt.db  # type: ignore[attr-defined]
    storage = pg_api.app.state.untxt.storage  # type: ignore[attr-defined]
    job = submit(
        pg_api, samples.png(SLOW_PAGE, size=28), options={**TESSERACT, "outputs": ["text"]}
    ).json()
    stalled = processes("worker", "--concurrency", "1")
    wait_for(lambda: task_statuses(db, job["id"]).get(1) == "processing")
    first_owner = _holder(pg_api, job["id"], 1)
    assert first_owner is not None
    os.killpg(stalled.pid, signal.SIGSTOP)  # frozen mid-page: a long GC pause, a stuck VM
    try:
        rescuer = processes("worker", "--concurrency", "1")
        wait_for(lambda: job_row(db, job["id"]).status == "completed", timeout=60)
        [result_key] = _result_keys(pg_api, job["id"])
        winner = storage.get(result_key)
        finished_at = job_row(db, job["id"]).finished_at
        os.killpg(rescuer.pid, signal.SIGKILL)
    finally:
        os.killpg(stalled.pid, signal.SIGCONT)
    # The stalled worker wakes, finishes its page and stores its result beside the
    # winner's, and is refused when it records them.
    wait_for(lambda: _result_blobs(storage, job["id"]) == 2, timeout=60)
    time.sleep(1)

    assert _result_keys(pg_api, job["id"]) == [result_key]
    assert storage.get(result_key) == winner
    final = job_row(db, job["id"])
    assert final.status == "completed"
    assert final.finished_at == finished_at
    assert final.attempts == 2
    assert task_statuses(db, job["id"]) == {1: "done"}
    assert pg_api.get(f"/v1/jobs/{job['id']}/result?format=text").content == winner


def _result_keys(api: TestClient, job_id: str) -> list[str]:
    with api.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(ResultRow.blob_key).where(ResultRow.job_id == job_id)))


def _result_blobs(storage: object, job_id: str) -> int:
    root = storage.root  # type: ignore[attr-defined]
    return len(list((root / "jobs" / job_id / "results").glob("*")))


def _pids(process: subprocess.Popen[bytes]) -> set[int]:
    """The process and its pool's worker processes."""
    return {process.pid, *children(process.pid)}
