"""Metrics of real processes, summed right: a worker node's processes behind its
metrics port, and ``untxt serve``'s API and worker processes behind ``GET /metrics``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from tests import samples as images
from tests.api.helpers import submit
from tests.conftest import make_settings
from tests.metrics.helpers import free_port, value
from tests.worker.helpers import output, start, wait_for
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry


def _per_process(directory: Path, name: str) -> dict[str, float]:
    """Each process's own count of ``name``, read from its file alone."""
    counts = {}
    for path in directory.glob("untxt-metrics-*/counter_*.db"):
        registry = CollectorRegistry()
        for family in MultiProcessCollector.merge([str(path)]):
            registry.register(_Fixed(family))
        counts[path.stem.removeprefix("counter_")] = sum(
            sample.value
            for family in registry.collect()
            for sample in family.samples
            if sample.name == name
        )
    return counts


class _Fixed:
    def __init__(self, family: object) -> None:
        self.family = family

    def collect(self) -> Iterator[object]:
        yield self.family


def _run(script: str, *args: str, env: dict[str, str]) -> int:
    """Run ``script`` in a new Python process; the pid it prints."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(done.stdout)


def _get(url: str, **kwargs: object) -> httpx.Response:
    # A new connection each time: with several API processes, each may answer.
    with httpx.Client(timeout=30) as client:
        return client.get(url, **kwargs)  # type: ignore[arg-type]


def _answers(url: str) -> bool:
    try:
        return _get(url).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == 0, output(process)


def test_counts_of_separate_processes_add_up_and_a_dead_ones_gauge_goes(tmp_path: Path) -> None:
    """The metrics' kinds are right for multiprocess mode: counters and histograms add
    up, ``untxt_workers_alive`` counts only processes not marked gone."""
    directory = tmp_path / "prom"
    directory.mkdir()
    script = (
        "import sys\n"
        "from untxt.metrics import hooks\n"
        "n = int(sys.argv[1])\n"
        "hooks.worker_running(True)\n"
        "for _ in range(n):\n"
        "    hooks.page_read('tesseract', 0.2)\n"
        "hooks.jobs_submitted(n)\n"
        "print(__import__('os').getpid())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    pids = [_run(script, str(n), env=env) for n in (1, 2, 3)]
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))

    def sample(name: str, labels: dict[str, str] | None = None) -> float:
        return sum(
            s.value
            for family in registry.collect()
            for s in family.samples
            if s.name == name and set((labels or {}).items()) <= set(s.labels.items())
        )

    assert sample("untxt_pages_processed_total", {"engine": "tesseract"}) == 6
    assert sample("untxt_page_ocr_seconds_count") == 6
    assert sample("untxt_page_ocr_seconds_sum") == pytest.approx(1.2)
    assert sample("untxt_page_ocr_seconds_bucket", {"le": "0.25"}) == 6
    assert sample("untxt_jobs_submitted_total") == 6
    assert sample("untxt_workers_alive") == 3
    mark_process_dead(pids[0], path=str(directory))
    assert sample("untxt_workers_alive") == 2
    assert sample("untxt_pages_processed_total") == 6  # what it did stays counted


@pytest.fixture
def worker_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


def test_a_worker_node_serves_the_sum_of_its_processes(
    worker_settings: Settings, tmp_path: Path, engines: EngineRegistry
) -> None:
    directory = tmp_path / "prom"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TestClient(create_app(worker_settings, engines=engines)):
        pass  # the database, migrated
    worker = start(
        ["worker", "--concurrency", "2", "--metrics-port", str(port)],
        worker_settings,
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        UNTXT_METRICS_TOKEN="worker-token",
        UNTXT_WORKER_METRICS_HOST="127.0.0.1",
    )
    auth = {"Authorization": "Bearer worker-token"}
    try:
        wait_for(lambda: _answers(f"{base}/healthz"), timeout=60, interval=0.1)
        health = _get(f"{base}/healthz").json()
        assert health == {"status": "ok", "workers_alive": 2, "workers": 2}

        def running() -> float:
            return value(_get(f"{base}/metrics", headers=auth).text, "untxt_workers_alive")

        wait_for(lambda: running() == 2, timeout=60, interval=0.1)
        jobs = 8
        with TestClient(create_app(worker_settings, engines=engines)) as client:
            ids = [
                submit(client, images.png([f"NODE {n}"]), options={"no_cache": True}).json()["id"]
                for n in range(jobs)
            ]

            def done() -> bool:
                return all(client.get(f"/v1/jobs/{i}").json()["status"] == "completed" for i in ids)

            wait_for(done, timeout=120, interval=0.2)
        assert _get(f"{base}/metrics").status_code == 401
        assert _get(f"{base}/nothing").status_code == 404
        text = _get(f"{base}/metrics", headers=auth).text
        assert value(text, "untxt_pages_processed_total") == jobs
        assert value(text, "untxt_jobs_finished_total", {"outcome": "completed"}) == jobs
        assert value(text, "untxt_job_queue_wait_seconds_count") == jobs
        assert value(text, "untxt_page_ocr_seconds_count") == jobs
        assert value(text, "untxt_workers_alive") == 2
        # Both worker processes read pages, and the port answered their sum.
        pages = _per_process(directory, "untxt_pages_processed_total")
        assert sum(pages.values()) == jobs
        assert len([n for n in pages.values() if n]) == 2, pages
    finally:
        _stop(worker)
    # The node's own directory goes with it.
    assert list(directory.iterdir()) == []


def test_a_taken_metrics_port_asked_for_is_an_error(worker_settings: Settings) -> None:
    with TestClient(create_app(worker_settings)):
        pass
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        worker = start(
            ["worker", "--concurrency", "1", "--metrics-port", str(port)],
            worker_settings,
            UNTXT_WORKER_METRICS_HOST="127.0.0.1",
        )
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            pytest.fail("untxt worker kept running on a taken metrics port")
    assert worker.returncode == 1
    assert f"metrics port {port}" in output(worker)


def test_serve_sums_its_api_and_worker_processes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    directory = tmp_path / "prom"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start(
        ["serve", "--port", str(port), "--workers", "2"],
        settings,
        UNTXT_API_PROCESSES="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    )
    try:
        wait_for(lambda: _answers(f"{base}/readyz"), timeout=60, interval=0.2)
        ids: list[str] = []

        def submit_and_finish(count: int) -> None:
            for _ in range(count):
                # A connection each, for the kernel to hand to either API process.
                with httpx.Client(base_url=base, timeout=30) as client:
                    response = client.post(
                        "/v1/ocr",
                        files={"file": (f"{len(ids)}.png", images.png([f"SUM {len(ids)}"]))},
                        data={"options": '{"no_cache": true}'},
                    )
                    assert response.status_code == 202, response.text
                    ids.append(response.json()["id"])
            wait_for(
                lambda: all(
                    _get(f"{base}/v1/jobs/{job_id}").json()["status"] == "completed"
                    for job_id in ids
                ),
                timeout=120,
                interval=0.2,
            )

        def on_both(metric: str) -> bool:
            return len([n for n in _per_process(directory, metric).values() if n]) == 2

        # Until submits have landed on both API processes and pages on both workers (one
        # may take all of the first few on a busy machine): the sums are then of all.
        submit_and_finish(10)
        submits, pages_read = "untxt_jobs_submitted_total", "untxt_pages_processed_total"
        while not (on_both(submits) and on_both(pages_read)):
            assert len(ids) < 50, "the work never spread over both processes of each kind"
            submit_and_finish(2)
        jobs = len(ids)
        submitted = _per_process(directory, submits)
        pages = _per_process(directory, pages_read)
        # Whichever API process answers the scrape, it answers the sums of all.
        for _ in range(6):
            text = _get(f"{base}/metrics").text
            assert value(text, "untxt_jobs_submitted_total") == jobs
            assert value(text, "untxt_jobs_finished_total", {"outcome": "completed"}) == jobs
            assert value(text, "untxt_pages_processed_total") == jobs
            posts = {"method": "POST", "route": "/v1/ocr", "status": "202"}
            assert value(text, "untxt_http_request_duration_seconds_count", posts) == jobs
            assert value(text, "untxt_workers_alive") == 2
            assert value(text, "untxt_queue_depth") == 0
    finally:
        _stop(serve)
    assert sum(submitted.values()) == sum(pages.values()) == jobs
    assert list(directory.iterdir()) == []
