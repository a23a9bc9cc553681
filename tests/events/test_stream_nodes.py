"""Events across processes on PostgreSQL: a worker process's commit reaches another API node."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings, postgres_schema_url
from tests.events.live import events_to_end, free_port, next_events, read_sse
from tests.events.test_stream import submit
from tests.worker.helpers import output, start, wait_for
from untxt.config import Settings
from untxt.db import Database, upgrade

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    for url in postgres_schema_url():
        database = Database(url)
        upgrade(database)  # once, before several processes start on it
        database.dispose()
        yield make_settings(tmp_path / "data", database_url=url)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def launch(pg_settings: Settings) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def run(*args: str) -> subprocess.Popen[bytes]:
        process = start(
            list(args),
            pg_settings,
            UNTXT_DATABASE_URL=pg_settings.database_url,
            UNTXT_EVENT_HEARTBEAT="0.5",
            UNTXT_RATE_LIMIT_SUBMIT="off",
            UNTXT_RATE_LIMIT_READ="off",
        )
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _api(launch: object) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = launch("serve", "--port", str(port), "--workers", "0")  # type: ignore[operator]
    url = f"http://127.0.0.1:{port}"
    return process, url


def test_a_worker_processs_completion_reaches_a_stream_on_another_api_process(
    launch: object,
) -> None:
    (front, front_url), (back, back_url) = _api(launch), _api(launch)
    launch("worker", "--concurrency", "1")  # type: ignore[operator]
    for url in (front_url, back_url):
        wait_for(partial(_answers, url), timeout=60, interval=0.2)

    with httpx.stream("GET", f"{back_url}/v1/events", timeout=30) as everything:
        lines = read_sse(everything)
        assert next(lines) == ": ping"
        job_id = submit(front_url, "NODES 5")  # through the other API process
        with httpx.stream("GET", f"{back_url}/v1/jobs/{job_id}/events", timeout=30) as one:
            story = events_to_end(read_sse(one), within=90)
        live = next_events(lines, len(story), within=30)

    assert story[0].type == "job.queued"
    assert story[-1].type == "job.completed"
    assert story[-1].payload["data"]["progress"] == {"pages_done": 1, "pages_total": 1}
    # The stream of all jobs, open before the submit, saw the same events live.
    assert [m.id for m in live] == [m.id for m in story]
    for process in (front, back):
        assert process.poll() is None, output(process)


def test_stopping_an_api_process_ends_its_open_streams(launch: object) -> None:
    process, url = _api(launch)
    wait_for(lambda: _answers(url), timeout=60, interval=0.2)

    with httpx.stream("GET", f"{url}/v1/events", timeout=30) as response:
        lines = read_sse(response)
        assert next(lines) == ": ping"
        os.killpg(process.pid, signal.SIGTERM)
        rest = list(lines)  # ends when the server closes the stream

    assert all(line == ": ping" for line in rest)
    assert process.wait(30) == 0, output(process)
