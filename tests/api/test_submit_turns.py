"""Uploads take turns: one API process works on a few at once, the others wait in order."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from tests.conftest import make_settings
from untxt.api.deps import submit_slots
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.storage.base import Staged


def test_one_turn_with_local_storage_and_sixteen_with_s3(tmp_path: Path) -> None:
    assert submit_slots(make_settings(tmp_path)) == 1
    assert submit_slots(make_settings(tmp_path, storage_url="s3://bucket/untxt")) == 16
    assert submit_slots(make_settings(tmp_path, submit_concurrency=5)) == 5


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (64, 32), shade).save(buffer, "PNG")
    return buffer.getvalue()


def test_uploads_beyond_the_turns_wait_and_are_all_accepted(
    tmp_path: Path, engines: EngineRegistry
) -> None:
    """Eight uploads at once with two turns: never more than two being checked and
    stored at a time, and every one accepted as its own job."""
    app = create_app(make_settings(tmp_path, submit_concurrency=2), engines=engines)
    state = app.state.untxt
    stage = state.storage.stage
    active, most = 0, 0
    lock = threading.Lock()

    class Counted(Staged):
        """An upload between the start of its write and its end, on a slow disk."""

        def __init__(self, staged: Staged) -> None:
            self.staged = staged

        def place(self, key: str) -> None:
            time.sleep(0.05)  # the others pile up meanwhile
            try:
                self.staged.place(key)
            finally:
                self.done()

        def settling(self) -> Future[None]:
            return self.staged.settling()

        def discard(self) -> None:
            try:
                self.staged.discard()
            finally:
                self.done()

        def done(self) -> None:
            nonlocal active
            with lock:
                active -= 1

    def counted_stage(data: bytes) -> Staged:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        return Counted(stage(data))

    state.storage.stage = counted_stage
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda shade: client.post(
                    "/v1/ocr", files={"file": (f"{shade}.png", _png(shade), "image/png")}
                ),
                range(8),
            )
        )
    assert [answer.status_code for answer in answers] == [202] * 8
    assert len({answer.json()["id"] for answer in answers}) == 8
    assert most == 2
