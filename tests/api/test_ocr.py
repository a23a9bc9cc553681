"""Submitting OCR work over HTTP and getting real results back."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain
from untxt.worker import Worker


def test_submit_returns_202_with_location_before_any_ocr_runs(client: TestClient) -> None:
    response = submit(client, samples.png(["HELLO WORLD"]), options={"languages": ["eng"]})

    assert response.status_code == 202
    job = response.json()
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] == "queued"
    assert job["pages_done"] == 0
    assert job["pages_total"] == 1
    assert job["progress"] == 0.0
    assert job["started_at"] is None
    assert set(job) >= {
        "id", "document_id", "status", "priority", "options", "progress", "pages_done",
        "pages_total", "attempts", "error", "created_at", "started_at", "finished_at",
    }  # fmt: skip


def test_submitted_image_is_recognised_into_every_format(
    client: TestClient, worker: Worker
) -> None:
    job = submit(client, samples.png(["INVOICE 4711", "TOTAL 99"])).json()

    assert drain(worker) == 1  # the worker that finishes the last page assembles at once
    done = client.get(f"/v1/jobs/{job['id']}").json()
    assert done["status"] == "completed"
    assert done["progress"] == 1.0
    assert done["attempts"] == 1
    assert done["finished_at"] >= done["started_at"]

    text = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain")
    assert "INVOICE 4711" in text.text
    assert "TOTAL 99" in text.text

    markdown = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "markdown"}).text
    assert "<!-- page 1 -->" in markdown
    assert "INVOICE 4711" in markdown

    document = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "json"}).json()
    assert "INVOICE" in samples.json_words(document)
    assert 0 < document["confidence"] <= 1

    hocr = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "hocr"})
    assert hocr.headers["content-type"].startswith("application/xhtml+xml")
    assert "ocrx_word" in hocr.text


def test_result_defaults_to_json(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(["DEFAULT"])).json()
    drain(worker)

    response = client.get(f"/v1/jobs/{job['id']}/result")

    assert response.headers["content-type"] == "application/json"
    assert response.json()["schema"] == "untxt.document/1"


def test_multipage_pdf_progress_counts_pages(client: TestClient, worker: Worker) -> None:
    job = submit(
        client,
        samples.pdf([["FIRST PAGE"], ["SECOND PAGE"], ["THIRD PAGE"]], dpi=100),
        filename="three.pdf",
        options={"resolution": "small"},
    ).json()
    assert job["pages_total"] == 3

    assert worker.run_once() is not None
    partial = client.get(f"/v1/jobs/{job['id']}").json()
    assert partial["status"] == "processing"
    assert partial["pages_done"] == 1
    assert partial["progress"] == round(1 / 3, 4)

    drain(worker)
    text = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"}).text
    pages = text.split("\f")
    assert len(pages) == 3
    assert "FIRST" in pages[0] and "SECOND" in pages[1] and "THIRD" in pages[2]


def test_only_requested_outputs_are_stored(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(["ONLY TEXT"]), options={"outputs": ["text"]}).json()
    drain(worker)

    assert client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"}).status_code == 200
    missing = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "hocr"})
    assert_problem(missing, 404, "not-found")


def test_result_of_unfinished_job_is_a_conflict(client: TestClient) -> None:
    job = submit(client, samples.png(["WAIT"])).json()

    response = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"})

    assert "queued" in assert_problem(response, 409, "conflict")["detail"]


def test_unknown_result_format_is_refused(client: TestClient) -> None:
    job = submit(client, samples.png(["FORMAT"])).json()

    response = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "docx"})

    assert_problem(response, 422, "validation-error")


def test_submit_by_document_id(client: TestClient, worker: Worker) -> None:
    document = client.post(
        "/v1/documents", files={"file": ("a.png", samples.png(["BY ID"]))}
    ).json()

    response = client.post(
        "/v1/jobs", json={"document_id": document["id"], "options": {"priority": 9}}
    )

    assert response.status_code == 202
    job = response.json()
    assert job["document_id"] == document["id"]
    assert job["priority"] == 9
    drain(worker)
    assert "BY ID" in client.get(f"/v1/jobs/{job['id']}/result?format=text").text


def test_submit_for_unknown_document_is_not_found(client: TestClient) -> None:
    response = client.post("/v1/jobs", json={"document_id": "doc_missing"})

    assert_problem(response, 404, "not-found")
