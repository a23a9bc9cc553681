"""``Idempotency-Key`` on the submit endpoints: a repeated submit gets the first answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests import samples
from tests.api.helpers import assert_problem, submit, upload
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry

KEY = "order-4711-attempt"
REPLAYED = "idempotent-replayed"


def _key(key: str = KEY) -> dict[str, str]:
    return {"Idempotency-Key": key}


def _answer(response: Response) -> tuple[int, bytes, str | None]:
    return response.status_code, response.content, response.headers.get("location")


def _job_ids(client: TestClient) -> list[str]:
    return [job["id"] for job in client.get("/v1/jobs").json()["items"]]


# A submit endpoint, made ready to call: (client, key) -> response. Preparing it
# uploads what it refers to, so that calling it only submits.
Submit = Callable[[TestClient, str], Response]


def _ocr(client: TestClient) -> Submit:
    data = samples.png(["ONCE ONLY"])
    return lambda c, key: submit(c, data, options={"priority": 3}, headers=_key(key))


def _jobs(client: TestClient) -> Submit:
    body = {"document_id": upload(client, samples.png(["BY ID ONCE"]))}
    return lambda c, key: c.post("/v1/jobs", json=body, headers=_key(key))


def _batch_json(client: TestClient) -> Submit:
    document = upload(client, samples.png(["BATCH ONCE"]))
    body = {"jobs": [{"document_id": document}, {"document_id": document, "options": {}}]}
    return lambda c, key: c.post("/v1/jobs/batch", json=body, headers=_key(key))


def _batch_files(client: TestClient) -> Submit:
    files = [
        ("files", ("a.png", samples.png(["FILE A"]))),
        ("files", ("b.png", samples.png(["B"]))),
    ]
    return lambda c, key: c.post("/v1/jobs/batch", files=files, headers=_key(key))


SUBMITS = pytest.mark.parametrize("prepare", [_ocr, _jobs, _batch_json, _batch_files])


@SUBMITS
def test_a_repeated_key_replays_the_first_answer_and_creates_nothing(
    client: TestClient, prepare: Callable[[TestClient], Submit]
) -> None:
    send = prepare(client)
    first = send(client, KEY)
    jobs = _job_ids(client)
    documents = client.get("/v1/documents").json()["items"]

    again = send(client, KEY)

    assert first.status_code == 202, first.text
    assert _answer(again) == _answer(first)
    assert again.headers["content-type"] == "application/json"
    assert again.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    assert _job_ids(client) == jobs
    assert client.get("/v1/documents").json()["items"] == documents


def test_the_same_request_without_a_key_creates_a_second_job(client: TestClient) -> None:
    document = upload(client, samples.png(["TWICE"]))

    for _ in range(2):
        assert client.post("/v1/jobs", json={"document_id": document}).status_code == 202

    assert len(_job_ids(client)) == 2


def test_a_replay_is_the_first_answer_even_after_the_job_moved_on(client: TestClient) -> None:
    send = _ocr(client)
    first = send(client, KEY)
    client.post(f"/v1/jobs/{first.json()['id']}/cancel")

    again = send(client, KEY)

    assert again.json() == first.json()
    assert again.json()["status"] == "queued"


def _other_file(client: TestClient) -> Response:
    return submit(client, samples.png(["OTHER FILE"]), options={"priority": 3}, headers=_key())


def _other_options(client: TestClient) -> Response:
    return submit(client, samples.png(["ONCE ONLY"]), options={"priority": 4}, headers=_key())


def _other_endpoint(client: TestClient) -> Response:
    files = [("files", ("scan.png", samples.png(["ONCE ONLY"])))]
    return client.post(
        "/v1/jobs/batch", files=files, data={"options": '{"priority": 3}'}, headers=_key()
    )


@pytest.mark.parametrize("other", [_other_file, _other_options, _other_endpoint])
def test_the_same_key_for_a_different_request_is_refused(
    client: TestClient, other: Callable[[TestClient], Response]
) -> None:
    first = _ocr(client)(client, KEY)

    response = other(client)

    assert KEY in assert_problem(response, 422, "idempotency-key-reused")["detail"]
    assert _job_ids(client) == [first.json()["id"]]


def test_equivalent_json_bodies_are_the_same_request(client: TestClient) -> None:
    document = upload(client, samples.png(["SPELLING"]))
    first = client.post("/v1/jobs", json={"document_id": document}, headers=_key())

    again = client.post(
        "/v1/jobs",
        content=f'{{"options": {{"priority": 5}},  "document_id": "{document}"}}',
        headers={**_key(), "content-type": "application/json"},
    )

    assert _answer(again) == _answer(first)


def test_keys_are_separate_per_key(client: TestClient) -> None:
    send = _ocr(client)
    first = send(client, "key-one")
    second = send(client, "key-two")

    assert first.json()["id"] != second.json()["id"]
    assert len(_job_ids(client)) == 2


def test_a_failed_request_stores_nothing_and_its_key_works_once_fixed(client: TestClient) -> None:
    assert_problem(submit(client, b"", headers=_key()), 422, "empty-document")
    missing = client.post("/v1/jobs", json={"document_id": "doc_missing"}, headers=_key())
    assert_problem(missing, 404, "not-found")
    assert _job_ids(client) == []

    fixed = submit(client, samples.png(["FIXED"]), headers=_key())

    assert fixed.status_code == 202
    assert _answer(submit(client, samples.png(["FIXED"]), headers=_key())) == _answer(fixed)


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "tab\there", "clé".encode("latin-1")],
    ids=["empty", "too long", "control character", "not ascii"],
)
def test_a_malformed_key_is_a_bad_request(client: TestClient, key: str | bytes) -> None:
    response = submit(client, samples.png(["BAD KEY"]), headers={"Idempotency-Key": key})  # type: ignore[dict-item]

    assert "Idempotency-Key" in assert_problem(response, 400, "invalid-idempotency-key")["detail"]
    assert _job_ids(client) == []


def test_the_longest_key_is_accepted(client: TestClient) -> None:
    key = "~ " + "k" * 253
    send = _ocr(client)

    first = send(client, key)

    assert first.status_code == 202
    assert _answer(send(client, key)) == _answer(first)


@pytest.fixture
def forgetful_client(settings: Settings, engines: EngineRegistry) -> Iterator[TestClient]:
    """The API keeping idempotency keys for a tenth of a second."""
    app = create_app(settings.with_overrides(idempotency_ttl=0.1), engines=engines)
    with TestClient(app) as test_client:
        yield test_client


def test_an_expired_key_is_a_new_key(forgetful_client: TestClient) -> None:
    send = _ocr(forgetful_client)
    first = send(forgetful_client, KEY)
    time.sleep(0.2)

    second = send(forgetful_client, KEY)
    different = submit(forgetful_client, samples.png(["NEW"]), headers=_key())

    assert second.status_code == 202
    assert second.json()["id"] != first.json()["id"]
    assert REPLAYED not in second.headers
    assert_problem(different, 422, "idempotency-key-reused")  # the new use is kept in turn


@SUBMITS
def test_concurrent_requests_with_one_new_key_create_one_job(
    db_url: str,
    tmp_path: Path,
    engines: EngineRegistry,
    prepare: Callable[[TestClient], Submit],
) -> None:
    """Eight simultaneous submits with one key: one creates, seven replay its answer."""
    settings = make_settings(tmp_path / "data", database_url=db_url)
    with TestClient(create_app(settings, engines=engines)) as client:
        send = prepare(client)
        barrier = threading.Barrier(8)
        answers: list[Response] = []

        def run() -> None:
            barrier.wait(timeout=10)
            answers.append(send(client, KEY))

        threads = [threading.Thread(target=run) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert len(answers) == 8
        assert answers[0].status_code == 202, answers[0].text
        assert {_answer(answer) for answer in answers} == {_answer(answers[0])}
        assert sum(REPLAYED in answer.headers for answer in answers) == 7
        body: dict[str, Any] = answers[0].json()
        assert set(_job_ids(client)) == {job["id"] for job in body.get("jobs", [body])}
