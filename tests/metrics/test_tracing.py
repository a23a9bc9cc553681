"""Logs and traces follow a job from its submit into the worker: the request id and job
id on every line, the submit's trace continued by the worker's spans."""

from __future__ import annotations

import gzip
import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests import samples as images
from tests.api.helpers import submit
from tests.conftest import drain, make_settings
from tests.metrics.helpers import free_port
from tests.worker.helpers import output, start, wait_for
from untxt import tracing
from untxt.app import create_app
from untxt.db.models import JobRow
from untxt.engines import EngineRegistry
from untxt.worker import Worker

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process, into memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)


def test_tracing_is_off_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not tracing.wanted(False)
    assert tracing.wanted(True)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing.wanted(False)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not tracing.wanted(True)
    assert not tracing.enabled()
    assert tracing.task_span({}, "x").__class__.__name__ == "nullcontext"


def test_the_submits_trace_is_continued_by_the_workers_spans(
    spans: InMemorySpanExporter, tmp_path: Path, engines: EngineRegistry
) -> None:
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings, engines=engines)) as client:
        response = submit(
            client,
            images.png(["TRACED"]),
            headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-traced-1"},
        )
        assert response.status_code == 202, response.text
        job = response.json()
        # What the job carries is kept from clients...
        assert "_trace" not in job["options"]
        assert "_trace" not in client.get(f"/v1/jobs/{job['id']}").json()["options"]
        state = client.app.state.untxt  # type: ignore[attr-defined]
        with state.db.read() as session:
            row = session.get(JobRow, job["id"])
            assert row is not None
            carried = row.options["_trace"]
        # ...and the worker reads it, its log lines naming the job and the request.
        worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
        with structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars, tracing.add_trace_ids]
        ) as logs:
            assert drain(worker) == 1
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"

    finished = [line for line in logs if line["event"] == "job finished"]
    assert len(finished) == 1
    assert finished[0]["job_id"] == job["id"]
    assert finished[0]["request_id"] == "req-traced-1"
    assert finished[0]["trace_id"] == TRACE_ID

    recorded = spans.get_finished_spans()
    (server,) = [s for s in recorded if s.kind == SpanKind.SERVER and s.name == "POST /v1/ocr"]
    assert _hex(server.context.trace_id, 32) == TRACE_ID
    assert server.parent is not None and _hex(server.parent.span_id, 16) == PARENT_ID
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/ocr"
    assert server.attributes["http.response.status_code"] == 202
    assert server.attributes["untxt.job_id"] == job["id"]
    assert server.attributes["untxt.request_id"] == "req-traced-1"
    assert carried == {
        "request_id": "req-traced-1",
        "traceparent": f"00-{TRACE_ID}-{_hex(server.context.span_id, 16)}-01",
    }
    (page,) = [s for s in recorded if s.name == "untxt.page"]
    assert page.kind == SpanKind.CONSUMER
    assert _hex(page.context.trace_id, 32) == TRACE_ID
    assert page.parent is not None and page.parent.span_id == server.context.span_id
    assert page.attributes is not None and page.attributes["untxt.job_id"] == job["id"]
    (recognize,) = [s for s in recorded if s.name == "untxt.recognize"]
    assert recognize.parent is not None and recognize.parent.span_id == page.context.span_id


def _hex(number: int, width: int) -> str:
    return format(number, f"0{width}x")


class Collector:
    """An OTLP/HTTP trace receiver on a loopback port: what untxt's processes export."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                collector._receive(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    with self._lock:
                        self.spans.append(
                            {
                                "role": resource.get("untxt.role"),
                                "service": resource.get("service.name"),
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                            }
                        )

    @contextmanager
    def running(self) -> Iterator[Collector]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def test_json_logs_and_exported_spans_follow_a_job_across_processes(tmp_path: Path) -> None:
    """``untxt serve`` with JSON logs and an OTLP endpoint: the API process and the worker
    process log the same request id and job id, and export spans of one trace."""
    settings = make_settings(tmp_path / "data")
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    with Collector().running() as collector:
        serve = start(
            ["serve", "--port", str(port), "--workers", "1"],
            settings,
            UNTXT_API_PROCESSES="1",
            UNTXT_LOG_JSON="true",
            UNTXT_LOG_LEVEL="info",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_SERVICE_NAME="untxt-test",
        )
        try:
            wait_for(lambda: _ok(f"{api}/readyz"), timeout=60, interval=0.2)
            with httpx.Client(base_url=api, timeout=30) as client:
                response = client.post(
                    "/v1/ocr",
                    files={"file": ("e2e.png", images.png(["ACROSS"]))},
                    headers={"traceparent": TRACEPARENT, "X-Request-ID": "req-e2e-1"},
                )
                assert response.status_code == 202, response.text
                job_id = response.json()["id"]
                wait_for(
                    lambda: client.get(f"/v1/jobs/{job_id}").json()["status"] == "completed",
                    timeout=60,
                    interval=0.1,
                )

            def exported() -> bool:
                roles = {s["role"] for s in collector.spans if s["trace_id"] == TRACE_ID}
                return {"api", "worker"} <= roles

            wait_for(exported, timeout=15, interval=0.1)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
        assert serve.returncode == 0, output(serve)

    traced = [s for s in collector.spans if s["trace_id"] == TRACE_ID]
    (server,) = [s for s in traced if s["name"] == "POST /v1/ocr"]
    assert server["role"] == "api" and server["parent_span_id"] == PARENT_ID
    assert {s["service"] for s in traced} == {"untxt-test"}
    pages = [s for s in traced if s["name"] == "untxt.page"]
    assert pages and all(s["role"] == "worker" for s in pages)
    assert all(s["parent_span_id"] == server["span_id"] for s in pages)

    lines = [json.loads(line) for line in output(serve).splitlines() if line.startswith("{")]
    assert lines, output(serve)
    mine = [line for line in lines if line.get("request_id") == "req-e2e-1"]
    events = {line["event"] for line in mine}
    assert "job submitted" in events and "job finished" in events, mine
    for line in mine:
        if line["event"] in ("job submitted", "job finished"):
            assert line["job_id"] == job_id
            assert line["trace_id"] == TRACE_ID
    # uvicorn's access log is JSON too, under the request's id.
    assert any(
        line.get("logger") == "uvicorn.access" and "POST /v1/ocr" in line["event"] for line in mine
    ), mine


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
