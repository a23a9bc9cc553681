"""OpenTelemetry traces, off unless configured, and what a job carries from its submit
into the worker: the submit's request id and trace context.

Tracing needs the ``otel`` extra (``pip install 'untxt[otel]'``) and is on when
``UNTXT_OTEL=1`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``) is
set, unless ``OTEL_SDK_DISABLED=true``. Spans go by OTLP over HTTP, configured by the
standard ``OTEL_*`` variables (endpoint, headers, service name, sampler). Each API
request is a server span (its parent taken from a ``traceparent`` header); a submit
stores its trace context with the job (:data:`CARRIED_KEY` in the job's options, kept
from clients), and each task a worker runs for the job is a span of that trace, with
the page's recognition inside it.

Whether or not tracing is on, the job also carries the submit's ``X-Request-ID``, and
the worker binds it and the job id to every log line it writes for the job.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager, nullcontext
from typing import Any

import structlog

from untxt.logs import get_logger
from untxt.version import __version__

log = get_logger(__name__)

#: The key of a job's stored options under which its submit's context travels.
CARRIED_KEY = "_trace"

_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

_tracer: Any = None
_provider: Any = None
_configured_pid: int | None = None


def wanted(enabled: bool) -> bool:
    """Whether tracing is configured: ``UNTXT_OTEL`` (``enabled``) or an OTLP endpoint,
    and not ``OTEL_SDK_DISABLED``."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return enabled or any(os.environ.get(name) for name in _ENDPOINT_VARIABLES)


def configure_tracing(enabled: bool, *, role: str) -> bool:
    """Start exporting spans from this process when tracing is configured; once per
    process (a forked process configures its own). ``role`` (api, worker) is recorded
    on its spans. Returns whether tracing is on."""
    global _configured_pid
    if _configured_pid == os.getpid():
        return _tracer is not None
    _configured_pid = os.getpid()
    if not wanted(enabled):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "tracing is configured but OpenTelemetry is not installed: "
            "pip install 'untxt[otel]'; running without traces"
        )
        return False
    attributes = {"service.version": __version__, "untxt.role": role}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = "untxt"
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)
    log.info("tracing on", role=role)
    return True


def use_provider(provider: Any) -> None:
    """Trace with ``provider`` (an SDK ``TracerProvider``) in this process; ``None``
    turns tracing off. Tests give one with an in-memory exporter."""
    global _tracer, _provider, _configured_pid
    _provider = provider
    _tracer = None if provider is None else provider.get_tracer("untxt", __version__)
    _configured_pid = os.getpid()


def enabled() -> bool:
    """Whether this process records spans."""
    return _tracer is not None


def flush() -> None:
    """Export the spans still buffered: before a process ends (a forked API process
    ends without running exit handlers)."""
    if _provider is not None:
        try:
            _provider.force_flush(5000)
        except Exception as exc:
            log.warning("spans not exported", error=str(exc))


def _propagator() -> Any:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator()


@contextmanager
def server_span(method: str, headers: Mapping[str, str]) -> Iterator[Any]:
    """A span for one API request, a child of the caller's ``traceparent`` if sent;
    yields the span (``None`` with tracing off). Name it with :func:`name_span` once
    the route is known."""
    if _tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    parent = _propagator().extract(dict(headers))
    with _tracer.start_as_current_span(
        method, context=parent, kind=SpanKind.SERVER, attributes={"http.request.method": method}
    ) as span:
        yield span


def name_span(span: Any, method: str, route: str, status: int, request_id: str | None) -> None:
    """Finish describing a request's span: its route template and status."""
    if span is None:
        return
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if request_id:
        span.set_attribute("untxt.request_id", request_id)
    if status >= 500:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR))


def annotate(**attributes: Any) -> None:
    """Set attributes on the current span, if one records."""
    if _tracer is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    for name, value in attributes.items():
        span.set_attribute(f"untxt.{name}", value)


def carried_context() -> dict[str, str]:
    """What a job submitted now should carry into the worker: the request's id, and
    the current trace context when tracing is on."""
    carried: dict[str, str] = {}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        carried["request_id"] = str(request_id)
    if _tracer is not None:
        headers: dict[str, str] = {}
        _propagator().inject(headers)
        if "traceparent" in headers:
            carried["traceparent"] = headers["traceparent"]
            if headers.get("tracestate"):
                carried["tracestate"] = headers["tracestate"]
    return carried


def with_carried(options: dict[str, Any], carried: Mapping[str, str]) -> dict[str, Any]:
    """A job's stored options: the client's, and the submit's context."""
    return {**options, CARRIED_KEY: dict(carried)} if carried else options


def split_carried(stored: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A job's stored options as the client gave them, and the submit's context."""
    options = dict(stored)
    carried = options.pop(CARRIED_KEY, None)
    return options, carried if isinstance(carried, dict) else {}


def public_options(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A job's options as clients see them: without the submit's context."""
    if CARRIED_KEY not in stored:
        return dict(stored)
    return split_carried(stored)[0]


@contextmanager
def job_scope(carried: Mapping[str, str], *, job_id: str) -> Iterator[None]:
    """Bind the job's id and its submit's request id to every log line written inside."""
    bound: dict[str, str] = {"job_id": job_id}
    if carried.get("request_id"):
        bound["request_id"] = carried["request_id"]
    with structlog.contextvars.bound_contextvars(**bound):
        yield


def task_span(carried: Mapping[str, str], name: str, **attributes: Any) -> Any:
    """A span for work done for a job, in its submit's trace (a new trace when the
    submit had none); a no-op context with tracing off."""
    if _tracer is None:
        return nullcontext()
    from opentelemetry.trace import SpanKind

    parent = _propagator().extract(
        {key: carried[key] for key in ("traceparent", "tracestate") if carried.get(key)}
    )
    return _tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={f"untxt.{key}": value for key, value in attributes.items()},
    )


def span(name: str, **attributes: Any) -> Any:
    """A child span of the current one; a no-op context with tracing off."""
    if _tracer is None:
        return nullcontext()
    return _tracer.start_as_current_span(
        name, attributes={f"untxt.{key}": value for key, value in attributes.items()}
    )


def add_trace_ids(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids, with tracing on."""
    if _tracer is None:
        return event_dict
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
