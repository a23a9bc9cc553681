"""The submit line: uploads that wait together share one write transaction, and one
that fails fails alone."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
from fastapi import Response
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import make_settings
from untxt.api.deps import AppState
from untxt.api.submit_line import Prepared
from untxt.api.uploads import Upload
from untxt.app import create_app
from untxt.db.models import DocumentRow, JobRow, TaskRow
from untxt.engines import EngineRegistry
from untxt.storage.base import Staged

_UPLOADS = 6


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (64, 32), shade).save(buffer, "PNG")
    return buffer.getvalue()


def _held_until_all_in_line(state: AppState, uploads: int) -> None:
    """Hold the first upload's file work until ``uploads`` uploads are in line, so that
    the others wait behind it."""
    in_line = threading.Semaphore(0)
    run = state.submit_line.run
    stage = state.storage.stage
    first = threading.Lock()

    async def counted_run(prepare: Callable[[], Prepared]) -> tuple[Response, Upload]:
        in_line.release()
        return await run(prepare)

    def held_stage(data: bytes) -> Staged:
        if first.acquire(blocking=False):
            for _ in range(uploads):
                assert in_line.acquire(timeout=10)
        return stage(data)

    state.submit_line.run = counted_run  # type: ignore[method-assign]
    state.storage.stage = held_stage  # type: ignore[method-assign]


def _counted_writes(state: AppState) -> list[int]:
    """Count the write transactions that commit; returns the running count."""
    committed = [0]
    write = state.db.write

    @contextmanager
    def counted(*, one_statement: bool = False) -> Iterator[Session]:
        with write(one_statement=one_statement) as session:
            yield session
        committed[0] += 1

    state.db.write = counted  # type: ignore[method-assign]
    return committed


def _submit_at_once(client: TestClient) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=_UPLOADS) as pool:
        sent = [
            pool.submit(client.post, "/v1/ocr", files={"file": (f"{n}.png", _png(n), "image/png")})
            for n in range(_UPLOADS)
        ]
        return [future.result() for future in sent]


def _counts(state: AppState) -> tuple[int, int, int]:
    with state.db.read() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(table))
            for table in (JobRow, DocumentRow, TaskRow)
        )


def _app_client(
    tmp_path: Path, engines: EngineRegistry, db_url: str, **overrides: object
) -> AbstractContextManager[TestClient]:
    settings = make_settings(tmp_path, database_url=db_url, **overrides)
    return TestClient(create_app(settings, engines=engines))


def test_uploads_waiting_together_are_committed_in_one_transaction(
    tmp_path: Path, engines: EngineRegistry, db_url: str
) -> None:
    with _app_client(tmp_path, engines, db_url) as client:
        state: AppState = client.app.state.untxt  # type: ignore[attr-defined]
        _held_until_all_in_line(state, _UPLOADS)
        committed = _counted_writes(state)
        answers = _submit_at_once(client)
        assert [answer.status_code for answer in answers] == [202] * _UPLOADS
        ids = {answer.json()["id"] for answer in answers}
        assert len(ids) == _UPLOADS
        assert committed[0] == 1
        assert _counts(state) == (_UPLOADS, _UPLOADS, _UPLOADS)
        for job_id in ids:
            assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "queued"


def test_a_submit_that_fails_in_a_batch_fails_alone_and_the_others_are_kept(
    tmp_path: Path, engines: EngineRegistry, db_url: str
) -> None:
    """Four queued jobs allowed: of six uploads in one batch, four are accepted, two are
    refused with the quota's problem, and nothing else is written."""
    with _app_client(tmp_path, engines, db_url, quota_queued_jobs=4) as client:
        state: AppState = client.app.state.untxt  # type: ignore[attr-defined]
        _held_until_all_in_line(state, _UPLOADS)
        committed = _counted_writes(state)
        answers = _submit_at_once(client)
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [202] * 4 + [429] * 2
        refused = [answer for answer in answers if answer.status_code == 429]
        for answer in refused:
            assert answer.headers["content-type"] == "application/problem+json"
            assert "UNTXT_QUOTA_QUEUED_JOBS" in answer.json()["detail"]
        # The six together failed; then each alone.
        assert committed[0] == 4
        assert _counts(state) == (4, 4, 4)


def test_a_repeated_idempotency_key_in_one_batch_creates_one_job(
    tmp_path: Path, engines: EngineRegistry, db_url: str
) -> None:
    """Two uploads of the same file under one key, in line together: one job, and the
    second gets the first's answer."""
    png = _png(7)
    with _app_client(tmp_path, engines, db_url) as client:
        state: AppState = client.app.state.untxt  # type: ignore[attr-defined]
        _held_until_all_in_line(state, 3)
        committed = _counted_writes(state)
        with ThreadPoolExecutor(max_workers=3) as pool:
            first = pool.submit(
                client.post, "/v1/ocr", files={"file": ("a.png", _png(1), "image/png")}
            )
            keyed = [
                pool.submit(
                    client.post,
                    "/v1/ocr",
                    files={"file": ("same.png", png, "image/png")},
                    headers={"Idempotency-Key": "one-key"},
                )
                for _ in range(2)
            ]
            assert first.result().status_code == 202
            answers = [future.result() for future in keyed]
        assert [answer.status_code for answer in answers] == [202, 202]
        assert answers[0].json()["id"] == answers[1].json()["id"]
        assert committed[0] == 1
        assert _counts(state)[0] == 2


def test_the_lines_threads_stop_with_the_app(
    tmp_path: Path, engines: EngineRegistry, db_url: str
) -> None:
    before = set(threading.enumerate())
    with _app_client(tmp_path, engines, db_url) as client:
        answer = client.post("/v1/ocr", files={"file": ("a.png", _png(3), "image/png")})
        assert answer.status_code == 202
        started = [
            thread
            for thread in set(threading.enumerate()) - before
            if thread.name.startswith("untxt-submit-")
        ]
        assert len(started) == 1
    started[0].join(5)
    assert not started[0].is_alive()
