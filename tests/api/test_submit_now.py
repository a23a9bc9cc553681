"""``POST /v1/jobs`` on each store: on PostgreSQL a job on a stored document is
queued without a session (``untxt.api.submit.submit_now``); the answers are the same
as a write block's, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import samples
from tests.api.helpers import assert_problem, upload
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.db.models import JobRow, TaskRow
from untxt.engines import EngineRegistry

SCAN = samples.png(["QUEUED WITHOUT A SESSION"])


@pytest.fixture
def api(db_url: str, tmp_path: Path, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API on SQLite and on PostgreSQL, at most two unfinished jobs per owner."""
    settings = make_settings(tmp_path / "data", database_url=db_url, quota_queued_jobs=2)
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client


def _counts(client: TestClient) -> tuple[int, int]:
    with client.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        jobs = session.scalar(select(func.count()).select_from(JobRow))
        tasks = session.scalar(select(func.count()).select_from(TaskRow))
    return int(jobs or 0), int(tasks or 0)


def test_a_job_on_a_stored_document_is_queued(api: TestClient) -> None:
    document = upload(api, SCAN)

    response = api.post("/v1/jobs", json={"document_id": document})

    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued"
    assert job["document_id"] == document
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"
    assert _counts(api) == (1, 1)


def test_a_job_on_a_document_that_is_not_there_is_a_404(api: TestClient) -> None:
    response = api.post("/v1/jobs", json={"document_id": "doc_missing"})

    assert_problem(response, 404)
    assert _counts(api) == (0, 0)


def test_a_job_past_the_queued_jobs_quota_is_refused_and_creates_nothing(
    api: TestClient,
) -> None:
    document = upload(api, SCAN)
    for _ in range(2):
        queued = api.post("/v1/jobs", json={"document_id": document, "options": {"no_cache": True}})
        assert queued.status_code == 202, queued.text

    refused = api.post("/v1/jobs", json={"document_id": document})

    assert_problem(refused, 429, "queued-jobs-quota")
    assert _counts(api) == (2, 2)


def test_a_repeated_idempotency_key_gets_the_first_answer(api: TestClient) -> None:
    document = upload(api, SCAN)
    headers = {"Idempotency-Key": "one-job"}

    first = api.post("/v1/jobs", json={"document_id": document}, headers=headers)
    again = api.post("/v1/jobs", json={"document_id": document}, headers=headers)

    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert _counts(api) == (1, 1)
