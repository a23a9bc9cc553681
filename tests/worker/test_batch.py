"""A worker that claims several tasks at once: each job still ends as it would one by
one, with its own results, one final event, and its failures its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import submit
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.errors import InputError
from untxt.queue import Outcome
from untxt.queue.outbox import read_events
from untxt.worker import loop, runner
from untxt.worker.keeper import LeaseKeeper
from untxt.worker.loop import Worker
from untxt.worker.runner import TaskRunner

BATCH = 4


@pytest.fixture
def client(tmp_path: Path, engines: EngineRegistry) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "data", worker_batch=BATCH)
    with TestClient(create_app(settings, engines=engines)) as test_client:
        yield test_client


@pytest.fixture
def batch_worker(client: TestClient, engines: EngineRegistry) -> Worker:
    state = client.app.state.untxt  # type: ignore[attr-defined]
    return Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def _submit(client: TestClient, words: list[str], filename: str = "scan.png") -> str:
    response = submit(client, samples.png(words), filename=filename, options={"no_cache": True})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _job(client: TestClient, job_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/jobs/{job_id}").json())


def _event_types(client: TestClient, job_id: str) -> list[str]:
    with client.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        return [event.type for event in read_events(session, owner=None, job_id=job_id)]


def test_a_batch_completes_each_one_page_job_with_its_own_text(
    client: TestClient, batch_worker: Worker
) -> None:
    """Five jobs, a batch of four: four complete in the first batch, each with its own
    words and one final event; the fifth is left for the next."""
    words = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"]
    jobs = [_submit(client, [word]) for word in words]
    assert batch_worker.run_batch() == [Outcome.DONE] * BATCH
    assert [_job(client, job)["status"] for job in jobs] == ["completed"] * 4 + ["queued"]
    for job, word in zip(jobs[:4], words, strict=False):
        text = client.get(f"/v1/jobs/{job}/result", params={"format": "text"}).text
        assert word in text
        assert _event_types(client, job) == [
            "job.queued",
            "job.processing",
            "job.progress",
            "job.completed",
        ]
    assert batch_worker.run_batch() == [Outcome.DONE]
    assert batch_worker.run_batch() == []
    assert _job(client, jobs[4])["status"] == "completed"


def test_a_job_of_several_pages_in_a_batch_is_assembled(
    client: TestClient, batch_worker: Worker
) -> None:
    """Both pages of a two-page job and a one-page job in one batch: both complete."""
    two = submit(client, samples.pdf([["ONE"], ["TWO"]]), filename="two.pdf").json()["id"]
    one = _submit(client, ["SINGLE"])
    keeper = LeaseKeeper(client.app.state.untxt.db, 30.0)  # type: ignore[attr-defined]
    try:
        assert sorted(o.value for o in batch_worker.run_batch(keeper)) == ["done"] * 3
    finally:
        keeper.close()
    assert _job(client, two)["status"] == _job(client, one)["status"] == "completed"
    text = client.get(f"/v1/jobs/{two}/result", params={"format": "text"}).text
    assert "ONE" in text and "TWO" in text


def test_a_failing_task_fails_its_job_only(
    client: TestClient, batch_worker: Worker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page that cannot be read fails its own job; the batch's others complete."""
    read = runner.recognize_page

    def failing(data: bytes, *args: Any, **kwargs: Any) -> Any:
        if data == damaged:
            raise InputError("the page cannot be read")
        return read(data, *args, **kwargs)

    damaged = samples.png(["BROKEN"])
    monkeypatch.setattr(runner, "recognize_page", failing)
    good = _submit(client, ["GOOD"])
    bad = submit(client, damaged, filename="bad.png", options={"no_cache": True}).json()["id"]
    assert sorted(o.value for o in batch_worker.run_batch()) == ["done", "failed"]
    assert _job(client, good)["status"] == "completed"
    failed = _job(client, bad)
    assert failed["status"] == "failed"
    assert "cannot be read" in failed["error"]


@pytest.mark.parametrize(("flush_after", "completions"), [(0.0, 3), (60.0, 1)])
def test_jobs_read_wait_at_most_the_flush_time_for_the_others(
    client: TestClient,
    batch_worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    flush_after: float,
    completions: int,
) -> None:
    """With no time to wait, each job read is completed at once; with time, the three
    are completed together, in one transaction."""
    monkeypatch.setattr(loop, "FLUSH_AFTER_S", flush_after)
    calls: list[int] = []
    complete = TaskRunner.complete_deferred

    def counted(self: TaskRunner, deferred: list[Any]) -> Any:
        calls.append(len(deferred))
        return complete(self, deferred)

    monkeypatch.setattr(TaskRunner, "complete_deferred", counted)
    jobs = [_submit(client, [word]) for word in ("RED", "GREEN", "BLUE")]
    assert batch_worker.run_batch() == [Outcome.DONE] * 3
    assert len(calls) == completions and sum(calls) == 3
    assert {_job(client, job)["status"] for job in jobs} == {"completed"}
