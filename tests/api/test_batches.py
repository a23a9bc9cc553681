"""``POST /v1/jobs/batch`` and ``GET /v1/batches/{id}``: many documents, one call, all or none."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests import samples
from tests.api.helpers import assert_problem, upload
from tests.conftest import drain
from untxt.app import create_app
from untxt.config import Settings
from untxt.db.models import BatchRow, DocumentRow, JobRow
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry
from untxt.queue import batches
from untxt.worker import Worker

NO_JOBS = {"queued": 0, "processing": 0, "completed": 0, "failed": 0, "cancelled": 0}


def _files(*images: bytes) -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (f"page{i}.png", data)) for i, data in enumerate(images)]


def _count(client: TestClient, model: type[Any]) -> int:
    """Rows of ``model`` in the client's database, whoever owns them."""
    with client.app.state.untxt.db.read() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_json_batch_queues_each_document_with_its_options(client: TestClient) -> None:
    first = upload(client, samples.png(["FIRST"]))
    second = upload(client, samples.png(["SECOND"]))
    items = [
        {"document_id": second, "options": {"priority": 9}},
        {"document_id": first},
        {"document_id": second, "options": {"outputs": ["text"]}},  # one document, two jobs
    ]

    response = client.post("/v1/jobs/batch", json={"jobs": items})

    assert response.status_code == 202, response.text
    batch = response.json()
    assert response.headers["location"] == f"/v1/batches/{batch['id']}"
    assert batch["total"] == 3
    assert batch["counts"] == {**NO_JOBS, "queued": 3}
    assert batch["created_at"]
    assert [job["document_id"] for job in batch["jobs"]] == [second, first, second]
    assert [job["priority"] for job in batch["jobs"]] == [9, 5, 5]
    assert batch["jobs"][2]["options"]["outputs"] == ["text"]
    for job in batch["jobs"]:
        assert job["batch_id"] == batch["id"]
        assert job["links"]["batch"] == f"/v1/batches/{batch['id']}"
        # Only a read says where a job stands in the queue; the submit's answer does not.
        assert client.get(f"/v1/jobs/{job['id']}").json() == {
            **job,
            "queue_position": [j["id"] for j in batch["jobs"]].index(job["id"]),
        }

    read = client.get(f"/v1/batches/{batch['id']}").json()
    assert read == {
        "id": batch["id"],
        "created_at": batch["created_at"],
        "total": 3,
        "counts": {**NO_JOBS, "queued": 3},
        "job_ids": [job["id"] for job in batch["jobs"]],
        "links": {"self": f"/v1/batches/{batch['id']}"},
    }


def test_multipart_batch_runs_to_completion_and_counts_follow(
    client: TestClient, worker: Worker
) -> None:
    response = client.post(
        "/v1/jobs/batch",
        files=_files(samples.png(["ALPHA 1"]), samples.png(["BRAVO 2"]), samples.png(["LAST"])),
        data={"options": json.dumps({"outputs": ["text"], "priority": 7})},
    )
    assert response.status_code == 202, response.text
    batch = response.json()
    assert [job["priority"] for job in batch["jobs"]] == [7, 7, 7]
    alpha, bravo, last = batch["jobs"]
    assert client.post(f"/v1/jobs/{last['id']}/cancel").json()["status"] == "cancelled"

    assert drain(worker) == 2

    read = client.get(f"/v1/batches/{batch['id']}").json()
    assert read["counts"] == {**NO_JOBS, "completed": 2, "cancelled": 1}
    assert read["job_ids"] == [alpha["id"], bravo["id"], last["id"]]
    text = client.get(f"/v1/jobs/{bravo['id']}/result", params={"format": "text"}).text
    assert "BRAVO" in text
    documents = client.get("/v1/documents").json()["items"]
    assert {d["filename"] for d in documents} == {"page0.png", "page1.png", "page2.png"}


def test_multipart_batch_defaults_its_options(client: TestClient) -> None:
    response = client.post("/v1/jobs/batch", files=_files(samples.png(["DEFAULTS"])))

    assert response.status_code == 202, response.text
    (job,) = response.json()["jobs"]
    assert job["options"]["languages"] == ["eng"]
    assert job["priority"] == 5


def test_a_missing_document_refuses_the_whole_batch(client: TestClient) -> None:
    present = upload(client, samples.png(["HERE"]))
    items = [{"document_id": present}, {"document_id": "doc_missing"}, {"document_id": present}]

    response = client.post("/v1/jobs/batch", json={"jobs": items})

    body = assert_problem(response, 404, "not-found")
    assert body["item"] == 1
    assert body["detail"].startswith("jobs[1]: ")
    assert "doc_missing" in body["detail"]
    assert (_count(client, JobRow), _count(client, BatchRow)) == (0, 0)


def test_an_unreadable_file_refuses_the_whole_batch(client: TestClient) -> None:
    files = _files(samples.png(["GOOD"]), samples.png(["FINE"]), samples.corrupt_pdf())

    response = client.post("/v1/jobs/batch", files=files)

    body = assert_problem(response, 422, "corrupt-document")
    assert body["item"] == 2
    assert body["detail"].startswith("files[2]: ")
    assert (_count(client, JobRow), _count(client, BatchRow)) == (0, 0)
    assert _count(client, DocumentRow) == 0


def test_options_one_item_cannot_have_refuse_the_whole_batch(client: TestClient) -> None:
    document = upload(client, samples.png(["LANG"]))
    items = [{"document_id": document}, {"document_id": document, "options": {"mode": "figure"}}]
    items.append({"document_id": document, "options": {"languages": ["klingon"]}})

    response = client.post("/v1/jobs/batch", json={"jobs": items})

    body = assert_problem(response, 422, "engine-unavailable")
    assert body["item"] == 2
    assert "klingon" in body["detail"]
    assert _count(client, JobRow) == 0


def test_an_invalid_option_value_names_the_item(client: TestClient) -> None:
    document = upload(client, samples.png(["VALUE"]))
    items = [{"document_id": document}, {"document_id": document, "options": {"priority": 11}}]

    response = client.post("/v1/jobs/batch", json={"jobs": items})

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["body", "jobs", 1, "options", "priority"]
    assert _count(client, JobRow) == 0


def test_invalid_shared_options_refuse_a_multipart_batch(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs/batch",
        files=_files(samples.png(["OPTS"])),
        data={"options": '{"resolution": "huge"}'},
    )

    assert "resolution" in assert_problem(response, 422, "invalid-options")["detail"]
    assert _count(client, JobRow) == 0


@pytest.mark.parametrize(
    ("kwargs", "loc"),
    [
        ({"json": {"jobs": []}}, ["body", "jobs"]),
        ({"json": {}}, ["body", "jobs"]),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, ["body"]),
        ({"data": {"options": "{}"}, "files": [("other", ("a.png", b"x"))]}, ["body", "files"]),
    ],
)
def test_malformed_batches_are_validation_errors(
    client: TestClient, kwargs: dict[str, Any], loc: list[object]
) -> None:
    response = client.post("/v1/jobs/batch", **kwargs)

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"][: len(loc)] == loc


def test_a_batch_in_another_media_type_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/jobs/batch", content=b"doc_1\ndoc_2\n", headers={"content-type": "text/plain"}
    )

    assert "multipart/form-data" in assert_problem(response, 415)["detail"]


@pytest.fixture
def client_of_two(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API with batches of at most two documents."""
    app = create_app(settings.with_overrides(max_batch=2), engines=engines)
    with TestClient(app) as test_client:
        yield test_client


def test_a_batch_over_the_limit_is_refused(client_of_two: TestClient) -> None:
    client = client_of_two
    document = upload(client, samples.png(["MANY"]))
    three = [samples.png(["ONE"]), samples.png(["TWO"]), samples.png(["THREE"])]

    by_id = client.post("/v1/jobs/batch", json={"jobs": [{"document_id": document}] * 3})
    by_file = client.post("/v1/jobs/batch", files=_files(*three))

    for response in (by_id, by_file):
        assert "at most 2" in assert_problem(response, 413, "batch-too-large")["detail"]
    assert _count(client, JobRow) == 0
    ok = client.post("/v1/jobs/batch", json={"jobs": [{"document_id": document}] * 2})
    assert ok.status_code == 202


def test_unknown_batch_and_another_owners_batch_are_not_found(client: TestClient) -> None:
    with client.app.state.untxt.db.write() as session:  # type: ignore[attr-defined]
        theirs = batches.create_batch(session, owner="someone-else", total=1, now=utcnow())

    assert_problem(client.get(f"/v1/batches/{theirs.id}"), 404, "not-found")
    assert_problem(client.get("/v1/batches/batch_missing"), 404, "not-found")


def test_a_single_job_belongs_to_no_batch(client: TestClient) -> None:
    document = upload(client, samples.png(["ALONE"]))

    job = client.post("/v1/jobs", json={"document_id": document}).json()

    assert job["batch_id"] is None
    assert "batch" not in job["links"]
