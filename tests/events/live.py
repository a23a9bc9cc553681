"""A real API server on loopback for event-stream tests, and an SSE reader for them."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from untxt.http_writes import CoalescingHTTPProtocol
from untxt.worker import Worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn with the HTTP protocol of ``untxt serve``, on a free
    loopback port, in a thread; yield its URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            http=CoalescingHTTPProtocol,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.state.event_hub.shutdown()  # open streams end, as `untxt serve` does on SIGTERM
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "server did not stop"


@dataclass
class Message:
    """One server-sent event: its id, type and JSON payload."""

    id: int
    type: str
    payload: dict[str, Any]


def read_sse(response: httpx.Response, lines: list[str] | None = None) -> Iterator[Message | str]:
    """The events of a ``text/event-stream`` and its comments (as ``": ..."`` strings)."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if lines is not None:
            lines.append(line)
        if line.startswith(":"):
            yield line
        elif line:
            name, _, value = line.partition(": ")
            fields[name] = value
        elif fields:
            yield Message(int(fields["id"]), fields["event"], json.loads(fields["data"]))
            fields = {}


def next_events(lines: Iterator[Message | str], count: int, within: float = 20) -> list[Message]:
    """The next ``count`` events of a stream whose keep-alives come often; fails after
    ``within`` seconds instead of waiting for ever."""
    deadline = time.monotonic() + within
    found: list[Message] = []
    while len(found) < count:
        assert time.monotonic() < deadline, f"only {len(found)} of {count} events came"
        item = next(lines)
        if isinstance(item, Message):
            found.append(item)
    return found


def events_to_end(lines: Iterator[Message | str], within: float = 60) -> list[Message]:
    """The events of a stream until the server ends it, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    found: list[Message] = []
    for item in lines:
        assert time.monotonic() < deadline, f"the stream did not end ({len(found)} events)"
        if isinstance(item, Message):
            found.append(item)
    return found


@contextmanager
def working(worker: Worker) -> Iterator[None]:
    """Run ``worker``'s tasks in a thread for the block (its engines stay open)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            if worker.run_once() is None:
                stop.wait(0.02)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)
