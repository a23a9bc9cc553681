"""The submit routes' shape that keeps a submit cheap: at most one trip to the thread pool,
and the rows written while the upload's bytes reach the device."""

from __future__ import annotations

import hashlib
import inspect
import io
import threading
from concurrent.futures import Future

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from untxt.api.routers import batches, documents, jobs
from untxt.app import create_app
from untxt.config import Settings
from untxt.db.models import JobRow
from untxt.engines import EngineRegistry
from untxt.storage.base import Staged
from untxt.storage.keys import document_blob_key

SUBMITS = [
    (jobs.router, "/v1/ocr"),
    (jobs.router, "/v1/jobs"),
    (batches.router, "/v1/jobs/batch"),
    (documents.router, "/v1/documents"),
]


def _dependencies(dependant: Dependant) -> list[Dependant]:
    found = []
    for dependency in dependant.dependencies:
        found.append(dependency)
        found.extend(_dependencies(dependency))
    return found


@pytest.mark.parametrize(("router", "path"), SUBMITS)
def test_every_dependency_of_a_submit_is_async(router: APIRouter, path: str) -> None:
    # FastAPI runs a sync dependency in the thread pool: a thread hand-over per request.
    route = next(
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and "POST" in r.methods
    )
    sync = [
        getattr(d.call, "__name__", repr(d.call))
        for d in _dependencies(route.dependant)
        if d.call is not None and not inspect.iscoroutinefunction(d.call)
    ]
    assert sync == []


@pytest.mark.parametrize("path", ["/v1/ocr", "/v1/jobs/batch"])
def test_the_rows_are_written_before_the_upload_settles_and_the_202_waits_for_it(
    settings: Settings, engines: EngineRegistry, path: str
) -> None:
    """The job's rows and the blob's fsync overlap; the 202 comes once both are done."""
    app = create_app(settings, engines=engines)
    state = app.state.untxt
    stage = state.storage.stage
    seen: list[tuple[str, int]] = []

    def jobs_written() -> int:
        with state.db.read() as session:
            return session.scalar(select(func.count()).select_from(JobRow)) or 0

    class Watched(Staged):
        def __init__(self, staged: Staged) -> None:
            self.staged = staged

        def place(self, key: str) -> None:
            self.staged.place(key)
            seen.append(("placed", jobs_written()))

        def settling(self) -> Future[None]:
            seen.append(("settling", jobs_written()))
            self.staged.settle()
            slow: Future[None] = Future()  # a slow disk: on the device a moment later

            def synced() -> None:
                seen.append(("synced", jobs_written()))
                slow.set_result(None)

            threading.Timer(0.2, synced).start()
            return slow

        def discard(self) -> None:
            self.staged.discard()

    state.storage.stage = lambda data: Watched(stage(data))
    buffer = io.BytesIO()
    Image.new("L", (64, 32), 200).save(buffer, "PNG")
    field = "file" if path == "/v1/ocr" else "files"
    with TestClient(app) as client:
        answer = client.post(path, files={field: ("scan.png", buffer.getvalue(), "image/png")})

    assert answer.status_code == 202, answer.text
    assert seen == [("placed", 0), ("settling", 1), ("synced", 1)]
    key = document_blob_key(hashlib.sha256(buffer.getvalue()).hexdigest())
    assert state.storage.get(key) == buffer.getvalue()
