"""``POST /v1/ocr?wait=N``: one request for a small image, on a real server on loopback.

Finished within N seconds, the answer is 200 with the job and its result; not
finished, the usual 202. Waiting holds no database connection and ends when the
client hangs up.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests import samples
from tests.api.helpers import assert_problem
from tests.conftest import make_settings
from tests.events.live import serving, working
from tests.worker.helpers import wait_for
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.worker import Worker

TESSERACT = {"engine": "tesseract", "languages": ["eng"]}


@pytest.fixture
def app(db_url: str, tmp_path: Path, engines: EngineRegistry) -> FastAPI:
    settings = make_settings(tmp_path / "data", database_url=db_url)
    return create_app(settings, engines=engines)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def worker(app: FastAPI, engines: EngineRegistry) -> Worker:
    state = app.state.untxt
    return Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def post(
    server: str,
    lines: list[str],
    *,
    options: dict[str, Any] | None = None,
    timeout: float | httpx.Timeout = 30,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> httpx.Response:
    return httpx.post(
        f"{server}/v1/ocr",
        params=params,
        files={"file": ("scan.png", samples.png(lines))},
        data={"options": json.dumps(options or TESSERACT)},
        timeout=timeout,
        headers=headers,
    )


def test_a_job_finished_within_wait_comes_back_with_its_result(server: str, worker: Worker) -> None:
    """With a worker at hand, one request gives the finished job and its JSON result."""
    with working(worker):
        response = post(server, ["INVOICE 4711", "TOTAL 99"], wait=30)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert response.headers["location"] == f"/v1/jobs/{body['id']}"
    assert body["links"]["result"] == f"/v1/jobs/{body['id']}/result"
    assert body["pages_done"] == body["pages_total"] == 1
    assert body["result_format"] == "json"
    assert body["result"]["schema"] == "untxt.document/1"
    assert "INVOICE" in samples.json_words(body["result"])
    job = httpx.get(f"{server}/v1/jobs/{body['id']}").json()
    assert {k: v for k, v in body.items() if k not in ("result", "result_format")} == job


def test_a_repeated_idempotency_key_gets_the_finished_job_without_a_second_one(
    server: str, worker: Worker
) -> None:
    with working(worker):
        first = post(server, ["ONCE"], wait=30, headers={"Idempotency-Key": "k-1"})
        again = post(server, ["ONCE"], wait=30, headers={"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(httpx.get(f"{server}/v1/jobs").json()["items"]) == 1


def test_the_result_comes_in_the_format_asked_for(server: str, worker: Worker) -> None:
    with working(worker):
        text = post(server, ["HELLO WAIT"], wait=30, format="text")
        pdf = post(
            server,
            ["HELLO PDF"],
            options={**TESSERACT, "outputs": ["pdf"]},
            wait=30,
            format="pdf",
        )

    assert text.status_code == 200, text.text
    assert text.json()["result_format"] == "text"
    assert "HELLO WAIT" in text.json()["result"]
    assert pdf.status_code == 200, pdf.text
    assert base64.b64decode(pdf.json()["result"]).startswith(b"%PDF-")


def test_a_job_not_finished_within_wait_is_answered_202_as_without_it(
    app: FastAPI, server: str
) -> None:
    """No worker: after the wait the answer is the usual 202, and the job goes on."""
    started = time.monotonic()
    response = post(server, ["NOBODY READS THIS"], wait=0.6)
    elapsed = time.monotonic() - started

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    assert "result" not in response.json()
    assert 0.6 <= elapsed < 5
    assert app.state.event_hub.subscribers == 0
    job = httpx.get(f"{server}{response.headers['location']}").json()
    assert job["status"] == "queued"


def test_without_wait_or_with_zero_the_submit_answers_at_once(server: str) -> None:
    for params in ({}, {"wait": 0}):
        response = post(server, ["AT ONCE"], **params)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"


def test_a_job_that_ends_otherwise_is_answered_200_without_a_result(server: str) -> None:
    """Cancelled (or failed) while the client waits: the job is finished, with no result."""
    answers: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(post(server, ["STOP"], wait=30)))
    waiting.start()

    def queued_job() -> str | None:
        items = httpx.get(f"{server}/v1/jobs").json()["items"]
        return items[0]["id"] if items else None

    wait_for(lambda: queued_job() is not None, timeout=10)
    cancel = httpx.post(f"{server}/v1/jobs/{queued_job()}/cancel")
    assert cancel.status_code == 200, cancel.text
    waiting.join(10)

    assert not waiting.is_alive()
    body = answers[0].json()
    assert answers[0].status_code == 200, body
    assert (body["status"], body["result"]) == ("cancelled", None)


def test_waiting_holds_no_database_connection_and_ends_when_the_client_hangs_up(
    app: FastAPI, server: str
) -> None:
    state = app.state.untxt
    hub = app.state.event_hub

    with pytest.raises(httpx.ReadTimeout):
        post(server, ["HANGS UP"], wait=60, timeout=httpx.Timeout(10, read=1.5))

    # The client is gone after 1.5 s; the server stops waiting long before 60 s.
    wait_for(lambda: hub.subscribers == 0, timeout=5)
    wait_for(lambda: state.db.engine.pool.checkedout() == 0, timeout=2)
    jobs = httpx.get(f"{server}/v1/jobs").json()["items"]
    assert [job["status"] for job in jobs] == ["queued"]


def test_a_wait_holds_no_database_connection_while_it_sleeps(app: FastAPI, server: str) -> None:
    state = app.state.untxt
    hub = app.state.event_hub
    answers: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(post(server, ["SLEEPS"], wait=3)))
    waiting.start()

    wait_for(lambda: hub.subscribers == 1, timeout=10)
    held = []
    for _ in range(20):
        checked_out = state.db.engine.pool.checkedout()
        # Only while the wait still sleeps: once it ends, the answer reads the job.
        if hub.subscribers == 1:
            held.append(checked_out)
        time.sleep(0.02)
    waiting.join(15)

    # Other parts of the app (the webhook deliverer, the hub) borrow a connection now and
    # then, for a moment; a wait that held one would show in every sample.
    assert len(held) >= 10
    assert min(held) == 0 and held.count(0) > len(held) // 2, held
    assert answers[0].status_code == 202


@pytest.mark.parametrize("wait", ["61", "-1", "soon", "nan"])
def test_a_wait_out_of_range_is_refused_before_anything_is_stored(
    app: FastAPI, server: str, wait: str
) -> None:
    response = post(server, ["NEVER STORED"], wait=wait)

    body = assert_problem(response, 422, "validation-error")
    assert body["errors"][0]["loc"] == ["query", "wait"]
    assert httpx.get(f"{server}/v1/jobs").json()["items"] == []


def test_a_wait_for_a_format_the_job_does_not_store_is_refused(server: str) -> None:
    response = post(
        server, ["NO PDF"], options={**TESSERACT, "outputs": ["text"]}, wait=10, format="pdf"
    )

    body = assert_problem(response, 422, "invalid-options")
    assert "'pdf' is not among the job's outputs" in body["detail"]
    assert httpx.get(f"{server}/v1/jobs").json()["items"] == []
