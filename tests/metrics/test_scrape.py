"""A scrape that catches a starting process's file half made reads again, and a worker
node's port answers even when the files cannot be read (never a dropped connection)."""

from __future__ import annotations

import struct
from collections.abc import Iterable

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from untxt.metrics import worker_server
from untxt.metrics.registry import exposition
from untxt.metrics.worker_server import WorkerMetricsServer


class _HalfMadeOnce(Collector):
    """Fails as reading an empty process file does, the first ``failures`` times."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if self.failures:
            self.failures -= 1
            raise struct.error("unpack_from requires a buffer of at least 4 bytes")
        yield GaugeMetricFamily("untxt_test_value", "A value.", value=1)


def test_a_scrape_reads_again_a_file_caught_half_made() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HalfMadeOnce(failures=2))
    assert b"untxt_test_value 1.0" in exposition(registry)


def test_a_scrape_that_keeps_failing_raises() -> None:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_HalfMadeOnce(failures=10))
    with pytest.raises(struct.error):
        exposition(registry)


def test_the_worker_port_answers_503_when_the_metrics_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(registry: CollectorRegistry) -> bytes:
        raise struct.error("unpack_from requires a buffer of at least 4 bytes")

    monkeypatch.setattr(worker_server, "exposition", broken)
    server = WorkerMetricsServer("127.0.0.1", 0, alive=lambda: 1, expected=1)
    server.start()
    try:
        response = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=10)
        assert response.status_code == 503 and "try again" in response.text
        health = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        assert health.status_code == 200
    finally:
        server.close()
