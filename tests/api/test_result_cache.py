"""The result cache through the API: a repeated submit is answered from the earlier result."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests import samples
from tests.api.helpers import submit, upload
from tests.conftest import drain, make_settings
from untxt.api.deps import Principal, get_principal
from untxt.app import create_app
from untxt.db.models import JobRow, TaskRow
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry
from untxt.retention import cleanup
from untxt.worker import Worker

SCAN = samples.png(["CACHED RESULT 8812"])
OPTIONS: dict[str, Any] = {"outputs": ["json", "text"]}


@pytest.fixture
def api(db_url: str, tmp_path: Path, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API on SQLite and on PostgreSQL."""
    settings = make_settings(tmp_path / "data", database_url=db_url)
    with TestClient(create_app(settings, engines=engines)) as client:
        yield client


@pytest.fixture
def ocr(api: TestClient, engines: EngineRegistry) -> Worker:
    state = api.app.state.untxt  # type: ignore[attr-defined]
    return Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def _state(client: TestClient) -> Any:
    return client.app.state.untxt  # type: ignore[attr-defined]


def _tasks(client: TestClient, job_id: str) -> int:
    with _state(client).db.read() as session:
        return int(session.scalar(select(func.count()).where(TaskRow.job_id == job_id)) or 0)


def _result(client: TestClient, job_id: str, format: str = "text") -> bytes:
    response = client.get(f"/v1/jobs/{job_id}/result", params={"format": format})
    assert response.status_code == 200, response.text
    return bytes(response.content)


def _done(client: TestClient, worker: Worker, options: dict[str, Any] = OPTIONS) -> str:
    """Submit :data:`SCAN` and have it OCRed; returns the job id."""
    job = submit(client, SCAN, options=options).json()
    assert drain(worker) == 1
    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"
    return str(job["id"])


def _age(client: TestClient, job_id: str, days: int) -> None:
    """Move a job's finish ``days`` into the past, as if it had run then."""
    finished = utcnow() - timedelta(days=days)
    with _state(client).db.write() as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(finished_at=finished))


def _cleanup(client: TestClient, *, dry_run: bool = False) -> Any:
    state = _state(client)
    return cleanup(
        state.db, state.storage, older_than=timedelta(days=1), grace=timedelta(0), dry_run=dry_run
    )


def _job_blobs(client: TestClient, job_id: str) -> set[str]:
    return {blob.key for blob in _state(client).storage.iter_blobs(f"jobs/{job_id}/")}


def test_a_repeated_submit_is_answered_completed_with_the_same_results_and_no_ocr(
    api: TestClient, ocr: Worker
) -> None:
    first = _done(api, ocr)

    response = submit(api, SCAN, options={"outputs": ["text", "json"], "priority": 9})

    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["id"] != first
    assert (job["status"], job["pages_done"], job["attempts"]) == ("completed", 1, 0)
    assert job["from_cache"] is True
    assert api.get(f"/v1/jobs/{first}").json()["from_cache"] is False
    assert job["progress"] == 1 and job["links"]["result"] == f"/v1/jobs/{job['id']}/result"
    # Nothing was queued, and so nothing runs.
    assert _tasks(api, job["id"]) == 0
    assert drain(ocr) == 0
    assert _result(api, job["id"]) == _result(api, first)
    assert _result(api, job["id"], "json") == _result(api, first, "json")
    assert b"CACHED RESULT 8812" in _result(api, job["id"])
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"


def test_submit_by_document_id_reuses_the_result_too(api: TestClient, ocr: Worker) -> None:
    first = _done(api, ocr)
    document = upload(api, SCAN)

    job = api.post("/v1/jobs", json={"document_id": document, "options": OPTIONS}).json()

    assert job["status"] == "completed"
    assert drain(ocr) == 0
    assert _result(api, job["id"]) == _result(api, first)


def test_no_cache_runs_ocr_again(api: TestClient, ocr: Worker) -> None:
    first = _done(api, ocr)

    job = submit(api, SCAN, options={**OPTIONS, "no_cache": True}).json()

    assert job["status"] == "queued"
    assert _tasks(api, job["id"]) == 1
    assert drain(ocr) == 1
    assert api.get(f"/v1/jobs/{job['id']}").json()["from_cache"] is False
    assert _result(api, job["id"]) == _result(api, first)


@pytest.mark.parametrize(
    "options",
    [
        {**OPTIONS, "preprocess": {"clean": True}},
        {**OPTIONS, "languages": ["eng", "vie"]},
        {"outputs": ["json", "text", "markdown"]},
    ],
    ids=["preprocess", "languages", "outputs"],
)
def test_different_options_run_ocr_again(
    api: TestClient, ocr: Worker, options: dict[str, Any]
) -> None:
    _done(api, ocr)

    job = submit(api, SCAN, options=options).json()

    assert job["status"] == "queued"
    assert drain(ocr) == 1
    assert b"CACHED RESULT 8812" in _result(api, job["id"])


def test_another_owner_does_not_reuse_the_result(api: TestClient, ocr: Worker) -> None:
    _done(api, ocr)
    app: FastAPI = api.app  # type: ignore[assignment]
    app.dependency_overrides[get_principal] = lambda: Principal(owner="bob")

    job = submit(api, SCAN, options=OPTIONS).json()

    assert job["status"] == "queued"
    assert drain(ocr) == 1
    assert b"CACHED RESULT 8812" in _result(api, job["id"])


def test_a_batch_of_repeats_completes_at_once(api: TestClient, ocr: Worker) -> None:
    first = _done(api, ocr)
    document = upload(api, SCAN)
    item = {"document_id": document, "options": OPTIONS}

    batch = api.post("/v1/jobs/batch", json={"jobs": [item, item]}).json()

    assert drain(ocr) == 0
    jobs = [api.get(f"/v1/jobs/{job['id']}").json() for job in batch["jobs"]]
    assert [job["status"] for job in jobs] == ["completed", "completed"]
    assert {_result(api, job["id"]) for job in jobs} == {_result(api, first)}


def test_deleting_the_first_job_keeps_the_reusing_jobs_results(
    api: TestClient, ocr: Worker
) -> None:
    first = _done(api, ocr)
    text = _result(api, first)
    second = submit(api, SCAN, options=OPTIONS).json()["id"]
    shared = _job_blobs(api, first)
    assert shared

    assert api.delete(f"/v1/jobs/{first}").status_code == 204

    assert api.get(f"/v1/jobs/{first}").status_code == 404
    assert _result(api, second) == text
    assert _result(api, second, "json")
    assert _job_blobs(api, first) == shared  # the second job's results are these blobs
    # A repeat now reuses the second job, whose results are the first's blobs.
    third = submit(api, SCAN, options=OPTIONS).json()
    assert third["status"] == "completed" and _result(api, third["id"]) == text

    assert api.delete(f"/v1/jobs/{second}").status_code == 204
    assert _job_blobs(api, first) == shared  # the third job still uses them
    assert _result(api, third["id"]) == text
    assert api.delete(f"/v1/jobs/{third['id']}").status_code == 204
    # Deleting the last job that used them deleted them, without waiting for retention.
    assert _job_blobs(api, first) == set()
    assert _cleanup(api).blobs == 0


def test_retention_keeps_shared_blobs_until_the_last_job_using_them_expires(
    api: TestClient, ocr: Worker
) -> None:
    first = _done(api, ocr)
    text = _result(api, first)
    second = submit(api, SCAN, options=OPTIONS).json()["id"]
    shared = _job_blobs(api, first)
    _age(api, first, days=10)

    assert _cleanup(api, dry_run=True).blobs == 0  # the dry run counts as the run will
    report = _cleanup(api)

    assert (report.jobs, report.blobs) == (1, 0)
    assert api.get(f"/v1/jobs/{first}").status_code == 404
    assert _result(api, second) == text
    assert _job_blobs(api, first) == shared

    _age(api, second, days=10)
    assert _cleanup(api, dry_run=True).blobs == len(shared)
    report = _cleanup(api)

    assert (report.jobs, report.blobs) == (1, len(shared))
    assert _job_blobs(api, first) == set()
    # With the result gone, the same submit reads the file again.
    again = submit(api, SCAN, options=OPTIONS).json()
    assert again["status"] == "queued"
    assert drain(ocr) == 1
    assert _result(api, again["id"]) == text


def test_a_mixed_pdf_keeps_its_text_page_and_ocrs_its_scan(
    client: TestClient, worker: Worker
) -> None:
    """Page by page over the API: the text layer where there is one, OCR where there is not."""
    data = samples.join_pdfs(
        samples.text_pdf([["Quarterly report 2026"]]), samples.pdf([["SCANNED APPENDIX"]])
    )

    job = submit(client, data, filename="mixed.pdf", options={"resolution": "small"}).json()
    drain(worker)

    assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"
    document = client.get(f"/v1/jobs/{job['id']}/result").json()
    assert [page["source"] for page in document["pages"]] == ["text-layer", "ocr"]
    text_engine, scan_engine = (page["engine"] for page in document["pages"])
    assert text_engine == "pdf-text" and scan_engine == job["options"]["engine"] != "auto"
    assert samples.json_words(document, 0) == ["Quarterly", "report", "2026"]
    assert samples.json_words(document, 1) == ["SCANNED", "APPENDIX"]
