"""A worker node's metrics port (``untxt worker --metrics-port``, 9464 by default):
``GET /metrics``, the sums of the node's worker processes, and ``GET /healthz``, the
worker health endpoint (200 while at least one worker process runs, else 503)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from untxt.logs import get_logger
from untxt.metrics.collectors import BuildInfo
from untxt.metrics.registry import CONTENT_TYPE, exposition, scrape_registry, token_accepted

log = get_logger(__name__)

#: The port a worker serves metrics on unless told otherwise.
DEFAULT_PORT = 9464


class _ServerV6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class WorkerMetricsServer:
    """Serves ``/metrics`` and ``/healthz`` from a daemon thread until :meth:`close`."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        alive: Callable[[], int],
        expected: int,
        token: str | None = None,
    ) -> None:
        registry = scrape_registry(BuildInfo())

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    if not token_accepted(token, self.headers.get("Authorization")):
                        self._send(
                            401,
                            b"metrics need the bearer token of UNTXT_METRICS_TOKEN\n",
                            "text/plain; charset=utf-8",
                            {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        )
                        return
                    try:
                        samples = exposition(registry)
                    except Exception:  # an answer, not a dropped connection
                        log.exception("metrics scrape failed")
                        self._send(503, b"metrics could not be read; try again\n", "text/plain")
                        return
                    self._send(200, samples, CONTENT_TYPE)
                elif path == "/healthz":
                    running = alive()
                    body = {
                        "status": "ok" if running else "unavailable",
                        "workers_alive": running,
                        "workers": expected,
                    }
                    self._send(
                        200 if running else 503, json.dumps(body).encode(), "application/json"
                    )
                else:
                    self._send(404, b"not found: /metrics or /healthz\n", "text/plain")

            def _send(
                self,
                status: int,
                body: bytes,
                media_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # a scrape every few seconds is not news

        server_class = _ServerV6 if ":" in host else ThreadingHTTPServer
        self._server = server_class((host, port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="untxt-metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
