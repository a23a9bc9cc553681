"""Several API processes on one port: all serve, one that dies comes back, all stop."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests import samples
from tests.conftest import make_settings
from tests.worker.helpers import alive, children, output, start, wait_for
from untxt.config import Settings, cpu_count
from untxt.server import api_process_count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _serving(pid: int) -> list[int]:
    """The API processes of ``untxt serve`` (its children that are not OCR workers)."""
    return [
        child
        for child in children(pid)
        if "spawn_main" not in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
    ]


def test_the_default_is_a_process_per_cpu_only_without_workers(tmp_path: Path) -> None:
    assert api_process_count(Settings(data_dir=tmp_path, workers=0, api_processes=0)) == (
        cpu_count()
    )
    assert api_process_count(Settings(data_dir=tmp_path, workers=2, api_processes=0)) == 1
    assert api_process_count(Settings(data_dir=tmp_path, workers=2, api_processes=3)) == 3


def test_api_processes_share_the_port_restart_and_stop(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve = start(
        ["serve", "--port", str(port), "--workers", "0"], settings, UNTXT_API_PROCESSES="2"
    )
    try:
        wait_for(lambda: _answers(f"{base}/readyz"), timeout=60, interval=0.2)
        wait_for(lambda: len(_serving(serve.pid)) == 2, timeout=30)
        first = _serving(serve.pid)
        # Each connection lands on one of the processes; every submit is recorded once.
        ids = set()
        for n in range(12):
            with httpx.Client(base_url=base, timeout=30) as client:
                response = client.post(
                    "/v1/ocr", files={"file": (f"{n}.png", samples.png([f"PAGE {n}"]))}
                )
                assert response.status_code == 202, response.text
                ids.add(response.json()["id"])
        with httpx.Client(base_url=base, timeout=30) as client:
            listed = {job["id"] for job in client.get("/v1/jobs?limit=50").json()["items"]}
        assert ids <= listed and len(ids) == 12

        os.kill(first[0], signal.SIGKILL)
        wait_for(lambda: len(_serving(serve.pid)) == 2 and first[0] not in _serving(serve.pid))
        assert "api process died; restarting" in output(serve)
        # A connection the kernel hands to the new process waits until its start-up
        # (migrations checked, routes built) is done: a second or two on a busy machine.
        wait_for(lambda: _answers(f"{base}/readyz"), timeout=15, interval=0.2)
        running = _serving(serve.pid)
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    assert serve.returncode == 0, output(serve)
    time.sleep(0.2)
    assert not any(alive(pid) for pid in running)


def test_a_port_in_use_is_reported_before_any_process_starts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = start(
            ["serve", "--port", str(port), "--workers", "0"], settings, UNTXT_API_PROCESSES="2"
        )
        try:
            serve.wait(timeout=60)
        except Exception:
            os.killpg(serve.pid, signal.SIGKILL)
            pytest.fail("untxt serve kept running on a port in use")
    assert serve.returncode != 0
    assert "Address already in use" in output(serve)
