"""The Python client's event following, and ``untxt submit --wait``, against real servers."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests import samples
from tests.auth_helpers import make_user_key
from tests.conftest import make_settings
from tests.events.live import free_port, serving, working
from tests.worker.helpers import UNTXT, output, process_env, start, wait_for
from untxt.app import create_app
from untxt.client import ApiError, Client
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.worker import Worker


@pytest.fixture
def app(tmp_path: Path, engines: EngineRegistry) -> FastAPI:
    settings = make_settings(
        tmp_path / "data", event_heartbeat=0.3, rate_limit_submit="off", rate_limit_read="off"
    )
    return create_app(settings, engines=engines)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def worker(app: FastAPI, engines: EngineRegistry) -> Worker:
    state = app.state.untxt
    return Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def scan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scan.png"
    path.write_bytes(samples.png([text]))
    return path


def test_wait_follows_the_jobs_events_and_returns_the_finished_job(
    server: str, worker: Worker, tmp_path: Path
) -> None:
    seen: list[dict[str, Any]] = []
    with Client(server) as client:
        job = client.submit(scan(tmp_path, "WAITED 3"), {"engine": "tesseract"})
        with working(worker):
            final = client.wait(job["id"], timeout=60, on_event=seen.append)
        text = client.result(job["id"])

    assert final["status"] == "completed"
    assert final["pages_done"] == 1
    assert b"WAITED 3" in text
    assert seen[0]["type"] == "job.queued"
    assert seen[-1]["type"] == "job.completed"
    assert seen[-1]["data"]["progress"] == {"pages_done": 1, "pages_total": 1}
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})


def test_submit_with_wait_returns_the_finished_job_and_its_result_in_one_request(
    server: str, worker: Worker, tmp_path: Path
) -> None:
    with Client(server) as client, working(worker):
        done = client.submit(
            scan(tmp_path, "ONE REQUEST"), {"engine": "tesseract"}, wait=30, format="text"
        )
        queued = client.submit(scan(tmp_path, "NO WAIT"), {"engine": "tesseract"})

    assert done["status"] == "completed"
    assert done["result_format"] == "text"
    assert "ONE REQUEST" in done["result"]
    assert queued["status"] == "queued" and "result" not in queued


def test_events_of_a_job_end_after_its_final_event(server: str, tmp_path: Path) -> None:
    with Client(server) as client:
        job = client.submit(scan(tmp_path, "EVENTS"))
        client.cancel(job["id"])
        events = list(client.events(job["id"]))
        resumed = list(client.events(job["id"], last_event_id=events[0]["id"]))

    assert [e["type"] for e in events] == ["job.queued", "job.cancelled"]
    assert all(e["data"]["job_id"] == job["id"] for e in events)
    assert resumed == events[1:]


def test_events_of_all_jobs_resume_after_the_last_event_id(server: str, tmp_path: Path) -> None:
    with Client(server) as client:
        first = client.submit(scan(tmp_path, "ONE"))
        stream = client.events(last_event_id=0)
        assert next(stream)["data"]["job_id"] == first["id"]
        second = client.submit(scan(tmp_path, "TWO"))
        event = next(stream)
        stream.close()

    assert event["type"] == "job.queued"
    assert event["data"]["job_id"] == second["id"]


class _NoEventStreams(httpx.HTTPTransport):
    """A connection on which event streams break, as behind a proxy that cuts them."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            raise httpx.RemoteProtocolError("stream cut", request=request)
        return super().handle_request(request)


def test_wait_polls_when_the_event_stream_fails(
    server: str, worker: Worker, tmp_path: Path
) -> None:
    with Client(server, transport=_NoEventStreams()) as client:
        job = client.submit(scan(tmp_path, "POLLED"))
        with working(worker):
            final = client.wait(job["id"], timeout=60, interval=0.1)

    assert final["status"] == "completed"


class _CutFirstStream(httpx.HTTPTransport):
    """Breaks the first event stream right after its first event, as a flaky network."""

    def __init__(self) -> None:
        super().__init__()
        self.cut = False
        self.resumed_from: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if not request.url.path.endswith("/events"):
            return response
        self.resumed_from.append(request.headers.get("Last-Event-ID"))
        if self.cut:
            return response
        self.cut = True
        upstream = response.stream

        class Cut(httpx.SyncByteStream):
            def __iter__(self) -> Iterator[bytes]:
                seen = b""
                for chunk in upstream:  # type: ignore[union-attr]
                    seen += chunk
                    yield chunk
                    if b"\nid: " in seen and seen.endswith(b"\n\n"):
                        raise httpx.RemoteProtocolError("connection lost", request=request)

            def close(self) -> None:
                upstream.close()  # type: ignore[union-attr]

        return httpx.Response(response.status_code, headers=response.headers, stream=Cut())


def test_wait_resumes_a_dropped_stream_after_the_last_event_seen(
    server: str, worker: Worker, tmp_path: Path
) -> None:
    transport = _CutFirstStream()
    seen: list[dict[str, Any]] = []
    with Client(server, transport=transport) as client:
        job = client.submit(scan(tmp_path, "RESUMED"))
        with working(worker):
            final = client.wait(job["id"], timeout=60, interval=0.1, on_event=seen.append)

    assert final["status"] == "completed"
    assert transport.resumed_from[:2] == [None, str(seen[0]["id"])]
    assert [e["id"] for e in seen] == sorted({e["id"] for e in seen})
    assert seen[0]["type"] == "job.queued" and seen[-1]["type"] == "job.completed"


def test_wait_gives_up_after_its_timeout(server: str, tmp_path: Path) -> None:
    with Client(server) as client:
        job = client.submit(scan(tmp_path, "NEVER RUN"))  # no worker: it stays queued
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            client.wait(job["id"], timeout=1.0)

    assert time.monotonic() - started < 10


# -- untxt submit --wait, against `untxt serve` ---------------------------------------


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


Launcher = Callable[[int], str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[tuple[Launcher, Settings]]:
    """A way to start ``untxt serve`` with N worker processes (it returns the URL)."""
    settings = make_settings(tmp_path / "data")
    processes: list[subprocess.Popen[bytes]] = []

    def launch(workers: int) -> str:
        port = str(free_port())
        process = start(["serve", "--port", port, "--workers", str(workers)], settings)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), timeout=60, interval=0.2)
        return url

    yield launch, settings
    for process in processes:
        process.terminate()
        assert process.wait(60) == 0, output(process)


def test_submit_wait_prints_the_result_once_the_job_completes(
    serve: tuple[Launcher, Settings], tmp_path: Path
) -> None:
    launch, settings = serve
    url = launch(1)
    image = scan(tmp_path, "SUBMITTED 64")

    done = subprocess.run(
        [UNTXT, "submit", str(image), "--server", url, "--wait", "-l", "eng"],
        env=process_env(settings), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    as_json = subprocess.run(
        [UNTXT, "submit", str(image), "--server", url, "--wait", "--format", "json"],
        env=process_env(settings), capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "SUBMITTED 64" in done.stdout
    assert "completed" in done.stderr
    assert as_json.returncode == 0, as_json.stderr
    assert '"pages"' in as_json.stdout and "SUBMITTED" in as_json.stdout


def test_submit_wait_exits_non_zero_with_the_reason_when_the_job_is_cancelled(
    serve: tuple[Launcher, Settings], tmp_path: Path
) -> None:
    launch, settings = serve
    url = launch(0)  # nobody runs the job: it waits until cancelled
    image = scan(tmp_path, "NEVER READ")
    waiting = subprocess.Popen(
        [UNTXT, "submit", str(image), "--server", url, "--wait"],
        env=process_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    jobs: list[dict[str, Any]] = []

    def queued() -> bool:
        jobs[:] = httpx.get(f"{url}/v1/jobs", timeout=5).json()["items"]
        return bool(jobs)

    try:
        wait_for(queued, timeout=30, interval=0.1)
        threading.Event().wait(0.5)  # the command is following the job's events by now
        assert httpx.post(f"{url}/v1/jobs/{jobs[0]['id']}/cancel", timeout=5).status_code == 200
        stdout, stderr = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()

    assert waiting.returncode == 1
    assert stdout == ""
    assert "cancelled" in stderr and jobs[0]["id"] in stderr


def test_an_api_key_lets_the_client_follow_events_once_accounts_exist(
    app: FastAPI, server: str, tmp_path: Path
) -> None:
    key = make_user_key(app, "dana@example.com")
    with Client(server, api_key=key) as client:
        job = client.submit(scan(tmp_path, "KEYED"))
        client.cancel(job["id"])
        final = client.wait(job["id"], timeout=30)
        events = list(client.events(job["id"]))
    with Client(server) as anonymous, pytest.raises(ApiError) as refused:
        anonymous.wait(job["id"], timeout=30)

    assert final["status"] == "cancelled"
    assert [e["type"] for e in events] == ["job.queued", "job.cancelled"]
    assert refused.value.status == 401


def test_the_cli_sends_its_api_key_once_accounts_exist(
    app: FastAPI, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from untxt.cli import app as cli

    key = make_user_key(app, "erin@example.com")
    image = str(scan(tmp_path, "KEYED CLI"))
    runner = CliRunner()

    refused = runner.invoke(cli, ["submit", image, "--server", server])
    by_flag = runner.invoke(cli, ["submit", image, "--server", server, "--api-key", key])
    monkeypatch.setenv("UNTXT_API_KEY", key)
    job_id = json.loads(by_flag.stdout)["id"]
    by_env = runner.invoke(cli, ["status", job_id, "--server", server])

    assert refused.exit_code == 1
    assert "401" in refused.stderr or "API key" in refused.stderr
    assert by_flag.exit_code == 0, by_flag.stderr
    assert by_env.exit_code == 0, by_env.stderr
    assert json.loads(by_env.stdout)["id"] == job_id
