"""A real webhook endpoint for tests: an HTTP server on a loopback port, in a thread.

It verifies every request with ``standardwebhooks`` against the secret it is
given, records what arrived and when, and answers from a script of replies.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Reply:
    """What the receiver answers to one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    at: float
    webhook_id: str
    body: bytes
    payload: dict[str, Any] | None
    verified: bool
    status: int
    headers: dict[str, str]


class Receiver:
    """Records and verifies POSTs; answers ``script`` in order, then ``default``."""

    def __init__(self, *, port: int = 0) -> None:
        self.secret: str | None = None
        self.script: list[Reply] = []
        self.default = Reply()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver._handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        payload = None
        verified = False
        if self.secret is not None:
            try:
                payload = Webhook(self.secret).verify(body, headers)
                verified = True
            except Exception:
                payload = None
        with self._lock:
            reply = self.script.pop(0) if self.script else self.default
        if reply.delay:
            time.sleep(reply.delay)
        with self._arrived:
            self.received.append(
                Received(
                    at=time.monotonic(),
                    webhook_id=headers.get("webhook-id", ""),
                    body=body,
                    payload=payload,
                    verified=verified,
                    status=reply.status,
                    headers=headers,
                )
            )
            self._arrived.notify_all()
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            data = json.dumps({"ok": reply.status < 300}).encode()
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the deliverer gave up waiting
            pass

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``count`` requests have arrived; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{len(self.received)} of {count} webhook requests arrived in {timeout} s"
                    )
                self._arrived.wait(left)
            return list(self.received)

    def successes(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_receiver(*, port: int = 0, secret: str | None = None) -> Iterator[Receiver]:
    """A started receiver, stopped afterwards; with ``secret``, it verifies from the
    first request on."""
    receiver = Receiver(port=port)
    receiver.secret = secret
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
