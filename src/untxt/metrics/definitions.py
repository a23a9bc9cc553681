"""The metrics untxt records, made on first use.

Made lazily rather than at import: prometheus-client picks how a value is kept (in
this process's memory, or in a file of ``PROMETHEUS_MULTIPROC_DIR`` that a scrape
sums with the other processes') when the value is made, and ``untxt serve`` and
``untxt worker`` choose multiprocess mode (:func:`untxt.metrics.registry.enable_multiprocess`)
after the package may have been imported.

No label holds a job, user, key or document id: every label has a handful of values.
"""

from __future__ import annotations

import threading

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

#: Where the metrics of this process live when it is not in multiprocess mode.
LOCAL = CollectorRegistry(auto_describe=True)

JOB_OUTCOMES = ("completed", "failed", "cancelled")
RETRY_REASONS = ("error", "lease_expired")
WEBHOOK_OUTCOMES = ("delivered", "retry", "failed", "gone")

_OCR_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_WAIT_BUCKETS = (0.05, 0.25, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0)
_JOB_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """Every metric an untxt process records."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.jobs_submitted = Counter(
            "untxt_jobs_submitted",
            "Jobs accepted by the API (a batch counts each of its jobs).",
            registry=registry,
        )
        self.jobs_finished = Counter(
            "untxt_jobs_finished",
            "Jobs that reached a final status: completed, failed or cancelled.",
            ["outcome"],
            registry=registry,
        )
        self.pages_processed = Counter(
            "untxt_pages_processed",
            "Pages read by workers, by the engine that read them (pdf-text: the PDF's "
            "own text layer).",
            ["engine"],
            registry=registry,
        )
        self.page_ocr_seconds = Histogram(
            "untxt_page_ocr_seconds",
            "Seconds one page took to read: decoding, preprocessing and recognition.",
            ["engine"],
            buckets=_OCR_BUCKETS,
            registry=registry,
        )
        self.job_queue_wait_seconds = Histogram(
            "untxt_job_queue_wait_seconds",
            "Seconds from a job's submit to a worker taking its first page.",
            buckets=_WAIT_BUCKETS,
            registry=registry,
        )
        self.job_duration_seconds = Histogram(
            "untxt_job_duration_seconds",
            "Seconds from a job's submit to its final status, by that status.",
            ["outcome"],
            buckets=_JOB_BUCKETS,
            registry=registry,
        )
        self.task_retries = Counter(
            "untxt_task_retries",
            "Tasks (pages, or a job's assembly) queued again after a failed try, by why: "
            "error (the try raised) or lease_expired (its worker was lost).",
            ["reason"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "untxt_webhook_deliveries",
            "Webhook delivery attempts, by outcome: delivered (2xx), retry (failed, "
            "another try is scheduled), failed (failed, no tries left) or gone (410: the "
            "endpoint is disabled).",
            ["outcome"],
            registry=registry,
        )
        self.http_request_duration_seconds = Histogram(
            "untxt_http_request_duration_seconds",
            "Seconds the API took to answer, by method, route template and status "
            "(event streams: until the stream opened).",
            ["method", "route", "status"],
            buckets=_HTTP_BUCKETS,
            registry=registry,
        )
        self.workers_alive = Gauge(
            "untxt_workers_alive",
            "OCR worker processes running (summed over the processes of a node).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        # Known label values start at zero, so that rates and ratios exist from the start.
        for outcome in JOB_OUTCOMES:
            self.jobs_finished.labels(outcome)
        for reason in RETRY_REASONS:
            self.task_retries.labels(reason)
        for outcome in WEBHOOK_OUTCOMES:
            self.webhook_deliveries.labels(outcome)


_metrics: Metrics | None = None
_lock = threading.Lock()


def metrics() -> Metrics:
    """This process's metrics, made on the first call."""
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                # The *_created series say when a process first counted: noise here, and
                # multiprocess mode has none.
                disable_created_metrics()  # type: ignore[no-untyped-call]
                _metrics = Metrics(LOCAL)
    return _metrics


def made() -> bool:
    """Whether :func:`metrics` has made the metrics already."""
    return _metrics is not None
