"""Several API processes on one port: all serve, each has loaded its engine before the
first upload, each connection goes to the one with the fewest open, one that dies comes
back, all stop."""

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
from untxt.engines import EngineRegistry
from untxt.options import JobOptions
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


def _held(port: int, pids: list[int]) -> dict[int, set[int]]:
    """The client ports of the connections to ``port`` each process holds open."""
    by_inode: dict[str, int] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                by_inode[inode] = int(remote.rsplit(":", 1)[1], 16)
    held: dict[int, set[int]] = {}
    for pid in pids:
        held[pid] = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except FileNotFoundError:
                continue
            if target.startswith("socket:[") and target[8:-1] in by_inode:
                held[pid].add(by_inode[target[8:-1]])
    return held


def _connect(port: int) -> socket.socket:
    """A keep-alive connection that has had one answer (so a process serves it)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200"), answer
    return sock


def test_the_default_is_a_process_per_cpu_only_without_workers(tmp_path: Path) -> None:
    assert api_process_count(Settings(data_dir=tmp_path, workers=0, api_processes=0)) == (
        cpu_count()
    )
    assert api_process_count(Settings(data_dir=tmp_path, workers=2, api_processes=0)) == 1
    assert api_process_count(Settings(data_dir=tmp_path, workers=2, api_processes=3)) == 3


def _mapped(pid: int, library: str) -> bool:
    """Whether process ``pid`` has loaded a shared library whose path holds ``library``."""
    return library in Path(f"/proc/{pid}/maps").read_text()


def test_api_processes_share_the_port_restart_and_stop(
    tmp_path: Path, engines: EngineRegistry
) -> None:
    defaults = JobOptions()
    assert engines.resolve(defaults.engine, defaults.languages, defaults.mode) == "ppocr"
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
        # Before any upload, each has loaded the engine that the default options run on
        # (ONNX Runtime, for PP-OCR), which the first upload used to wait for.
        wait_for(lambda: all(_mapped(pid, "onnxruntime") for pid in first), timeout=30)
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
        # A connection handed to the new process waits until its start-up (migrations
        # checked, routes built) is done: a second or two on a busy machine.
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


def test_each_connection_goes_to_the_process_with_the_fewest_open(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    port = _free_port()
    serve = start(
        ["serve", "--port", str(port), "--workers", "0"], settings, UNTXT_API_PROCESSES="2"
    )
    connections: list[socket.socket] = []
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), timeout=60, interval=0.2)
        wait_for(lambda: len(_serving(serve.pid)) == 2, timeout=30)
        pids = _serving(serve.pid)
        # Sixteen clients that keep their connections: eight each, not as a hash falls.
        connections = [_connect(port) for _ in range(16)]
        held = _held(port, pids)
        assert sorted(len(ports) for ports in held.values()) == [8, 8], held

        # The first process's clients leave; the next four connections all go to it.
        first, second = pids
        for sock in [c for c in connections if c.getsockname()[1] in held[first]]:
            connections.remove(sock)
            sock.close()
        wait_for(lambda: not _held(port, pids)[first], timeout=10)
        time.sleep(0.2)  # the parent reads the processes' word that they closed
        connections += [_connect(port) for _ in range(4)]
        now = _held(port, pids)
        assert len(now[first]) == 4, now
        assert now[second] == held[second]
    finally:
        for sock in connections:
            sock.close()
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    assert serve.returncode == 0, output(serve)
