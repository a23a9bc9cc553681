"""Quotas per owner: unfinished jobs and stored document bytes; a refused submit creates nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit, upload
from tests.auth_helpers import make_user_key
from tests.conftest import drain
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.storage.keys import document_blob_key
from untxt.worker import Worker


def _client(settings: Settings, engines: EngineRegistry, **quotas: Any) -> Iterator[TestClient]:
    app = create_app(settings.with_overrides(**quotas), engines=engines)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def two_jobs(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """A client whose owner may have two unfinished jobs."""
    yield from _client(settings, engines, quota_queued_jobs=2)


def _job_count(client: TestClient, **headers: str) -> int:
    return len(client.get("/v1/jobs", headers=headers).json()["items"])


def test_a_submit_past_the_unfinished_jobs_quota_is_refused(two_jobs: TestClient) -> None:
    for text in ("ONE", "TWO"):
        assert submit(two_jobs, samples.png([text])).status_code == 202

    refused = submit(two_jobs, samples.png(["THREE"]))

    body = assert_problem(refused, 429, "queued-jobs-quota")
    assert "2" in body["detail"] and "UNTXT_QUOTA_QUEUED_JOBS" in body["detail"]
    assert _job_count(two_jobs) == 2
    # The document of the refused submit was not kept either.
    assert len(two_jobs.get("/v1/documents").json()["items"]) == 2


def test_finished_jobs_free_their_places(two_jobs: TestClient, engines: EngineRegistry) -> None:
    state = two_jobs.app.state.untxt  # type: ignore[attr-defined]
    worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
    for text in ("ONE", "TWO"):
        submit(two_jobs, samples.png([text]))
    assert submit(two_jobs, samples.png(["WAIT"])).status_code == 429

    drain(worker)

    assert submit(two_jobs, samples.png(["AFTER"])).status_code == 202


def test_cancelled_jobs_free_their_places(two_jobs: TestClient) -> None:
    first = submit(two_jobs, samples.png(["ONE"])).json()
    submit(two_jobs, samples.png(["TWO"]))

    two_jobs.post(f"/v1/jobs/{first['id']}/cancel")

    assert submit(two_jobs, samples.png(["THREE"])).status_code == 202


def test_a_batch_that_would_pass_the_quota_is_refused_whole(two_jobs: TestClient) -> None:
    submit(two_jobs, samples.png(["ONE"]))
    files = [("files", (f"{text}.png", samples.png([text]))) for text in ("A", "B")]

    refused = two_jobs.post("/v1/jobs/batch", files=files)

    assert_problem(refused, 429, "queued-jobs-quota")
    assert _job_count(two_jobs) == 1


def test_jobs_of_uploaded_documents_count_against_the_quota(two_jobs: TestClient) -> None:
    document = upload(two_jobs, samples.png(["DOC"]))
    answers = [
        two_jobs.post("/v1/jobs", json={"document_id": document, "options": {"priority": p}})
        for p in (1, 2, 3)
    ]

    assert [a.status_code for a in answers[:2]] == [202, 202]
    assert_problem(answers[2], 429, "queued-jobs-quota")


def test_each_owner_has_a_quota_of_their_own(two_jobs: TestClient) -> None:
    alice = {"Authorization": f"Bearer {make_user_key(two_jobs, 'alice@example.com')}"}
    bob = {"Authorization": f"Bearer {make_user_key(two_jobs, 'bob@example.com')}"}
    for text in ("ONE", "TWO"):
        submit(two_jobs, samples.png([text]), headers=alice)

    assert submit(two_jobs, samples.png(["A3"]), headers=alice).status_code == 429
    assert submit(two_jobs, samples.png(["B1"]), headers=bob).status_code == 202


@pytest.fixture
def small_store(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """A client whose owner may store the FIRST and SECOND PNGs and not a third."""
    room = len(samples.png(["FIRST"])) + len(samples.png(["SECOND"])) + 100
    yield from _client(settings, engines, quota_stored_bytes=room)


def test_an_upload_past_the_storage_quota_is_refused_with_413(small_store: TestClient) -> None:
    upload(small_store, samples.png(["FIRST"]))
    upload(small_store, samples.png(["SECOND"]))

    third = samples.png(["THIRD"])
    refused = small_store.post("/v1/documents", files={"file": ("c.png", third)})
    refused_ocr = submit(small_store, samples.png(["FOURTH"]))

    assert "UNTXT_QUOTA_STORED_BYTES" in assert_problem(refused, 413, "storage-quota")["detail"]
    assert_problem(refused_ocr, 413, "storage-quota")
    assert len(small_store.get("/v1/documents").json()["items"]) == 2
    assert _job_count(small_store) == 0
    storage = small_store.app.state.untxt.storage  # type: ignore[attr-defined]
    assert not storage.exists(document_blob_key(hashlib.sha256(third).hexdigest()))


def test_a_batch_past_the_storage_quota_stores_nothing(small_store: TestClient) -> None:
    files = [("files", (f"{t}.png", samples.png([t]))) for t in ("FIRST", "SECOND", "THIRD")]

    refused = small_store.post("/v1/jobs/batch", files=files)

    assert assert_problem(refused, 413, "storage-quota")["item"] == 2
    assert small_store.get("/v1/documents").json()["items"] == []


def test_the_same_bytes_again_are_not_counted_twice(small_store: TestClient) -> None:
    first = upload(small_store, samples.png(["FIRST"]))
    upload(small_store, samples.png(["SECOND"]))

    again = small_store.post("/v1/documents", files={"file": ("x.png", samples.png(["FIRST"]))})

    assert again.status_code == 201
    assert again.json()["id"] == first


def test_deleting_documents_frees_storage(small_store: TestClient) -> None:
    first = upload(small_store, samples.png(["FIRST"]))
    upload(small_store, samples.png(["SECOND"]))
    assert small_store.post("/v1/documents", files={"file": ("c.png", samples.png(["C"]))}).is_error

    small_store.delete(f"/v1/documents/{first}")

    upload(small_store, samples.png(["THIRD"]))


def test_zero_turns_the_quotas_off(settings: Settings, engines: EngineRegistry) -> None:
    for client in _client(settings, engines, quota_queued_jobs=0, quota_stored_bytes=0):
        statuses = {submit(client, samples.png([f"N{i}"])).status_code for i in range(4)}

    assert statuses == {202}


def test_both_quotas_hold_on_each_database(
    settings: Settings, engines: EngineRegistry, db_url: str
) -> None:
    first, second = samples.png(["FIRST"]), samples.png(["SECOND"])
    for client in _client(
        settings,
        engines,
        database_url=db_url,
        quota_queued_jobs=1,
        quota_stored_bytes=len(first) + len(second) + 100,
    ):
        accepted = submit(client, first)
        queued_over = submit(client, first)
        upload(client, second)
        stored_over = client.post("/v1/documents", files={"file": ("t.png", samples.png(["T"]))})

    assert accepted.status_code == 202
    assert_problem(queued_over, 429, "queued-jobs-quota")
    assert_problem(stored_over, 413, "storage-quota")
