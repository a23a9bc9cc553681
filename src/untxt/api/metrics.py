"""The API's metrics: ``GET /metrics`` with the queue's depth read at scrape time, and each
request timed by its route template (and, with tracing on, made a span)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from prometheus_client.core import GaugeMetricFamily, Metric
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from untxt import tracing
from untxt.api.problems import problem
from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.metrics.collectors import BuildInfo
from untxt.metrics.definitions import metrics
from untxt.metrics.registry import CONTENT_TYPE, exposition, scrape_registry, token_accepted
from untxt.queue.depth import queue_depth

if TYPE_CHECKING:
    from untxt.api.deps import AppState

log = get_logger(__name__)

METRICS_PATH = "/metrics"
#: The route label of a request no route matched (a 404): never the path itself, which
#: would make a series per URL anyone cares to ask for.
UNMATCHED = "unmatched"


class QueueCollector:
    """The queue's depth and the age of its oldest waiting job, read from the database
    by one query per scrape: right whichever process or node answers, and whatever
    happened while nobody was counting (a crash, a restore, a manual fix)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def describe(self) -> Iterator[Metric]:
        return iter(())  # samples differ per scrape: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        try:
            with self._db.read() as session:
                depth = queue_depth(session)
        except Exception as exc:  # the database is away: say so, and answer the rest
            log.warning("queue metrics unavailable", error=str(exc))
            up = GaugeMetricFamily(
                "untxt_queue_metrics_up", "Whether the last scrape could read the queue."
            )
            up.add_metric([], 0)
            yield up
            return
        now = utcnow()
        jobs = GaugeMetricFamily(
            "untxt_queue_depth",
            "Unfinished jobs by status (queued, processing) and priority (0-10), as the "
            "database holds them at scrape time.",
            labels=["status", "priority"],
        )
        for (status, priority), count in sorted(depth.jobs.items()):
            jobs.add_metric([status, str(priority)], count)
        yield jobs
        oldest = GaugeMetricFamily(
            "untxt_queue_oldest_age_seconds",
            "Seconds the oldest queued job has waited since its submit; 0 when none waits.",
        )
        oldest.add_metric([], depth.oldest_age(now))
        yield oldest
        up = GaugeMetricFamily(
            "untxt_queue_metrics_up", "Whether the last scrape could read the queue."
        )
        up.add_metric([], 1)
        yield up


def route_template(scope: Scope, routes: Sequence[BaseRoute] = ()) -> str:
    """The template of the route that answered (``/v1/jobs/{job_id}``), or of the route
    that would have, for an answer a middleware gave before routing (a 429, a 413);
    :data:`UNMATCHED` when no route matches."""
    path = getattr(scope.get("route"), "path", None)
    if path is None:
        try:
            path = _find(routes, scope, "")
        except Exception:  # a router this does not know how to read: say so, never fail
            path = None
    return path if isinstance(path, str) and path else UNMATCHED


def _find(routes: Sequence[Any], scope: Scope, prefix: str) -> str | None:
    """The template of the first of ``routes`` that matches ``scope``; FastAPI's included
    routers are searched through (they match whole, without naming the route)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            extra = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            path = scope["path"]
            if not path.startswith(extra):
                continue
            child = {**scope, "path": path[len(extra) :]} if extra else scope
            found = _find(inner.routes, child, prefix + extra)
            if found is not None:
                return found
            continue
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            template = getattr(route, "path", None)
            return prefix + template if isinstance(template, str) else None
    return None


class ObserveRequests:
    """ASGI middleware: ``untxt_http_request_duration_seconds`` by method, route template
    and status, measured to the end of the answer (an event stream: to its opening);
    with tracing on, a server span per request."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]
        status = 500
        done = False
        span: Any = None

        def record() -> None:
            nonlocal done
            if done:
                return
            done = True
            route = route_template(scope, self.routes)
            metrics().http_request_duration_seconds.labels(method, route, str(status)).observe(
                time.perf_counter() - started
            )
            request_id = scope.get("state", {}).get("request_id")
            tracing.name_span(span, method, route, status, request_id)

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type" and value.startswith(b"text/event-stream"):
                        record()
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                record()

        headers: dict[str, str] = {}
        if tracing.enabled():
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with tracing.server_span(method, headers) as current:
            span = current
            try:
                await self.app(scope, receive, observe)
            finally:
                record()


def install_metrics(app: FastAPI, state: AppState) -> None:
    """Serve ``GET /metrics`` (behind ``UNTXT_METRICS_TOKEN`` when set) and time every
    request. Call it before the outermost middleware (the request id) is added."""
    registry = scrape_registry(QueueCollector(state.db), BuildInfo())
    secret = state.settings.metrics_token
    token = secret.get_secret_value() if secret is not None else None

    def scrape(request: Request) -> Response:
        """Prometheus metrics of this node's processes, and the queue's depth."""
        if not token_accepted(token, request.headers.get("authorization")):
            response = problem(401, "metrics need the bearer token of UNTXT_METRICS_TOKEN")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return Response(exposition(registry), media_type=CONTENT_TYPE)

    app.add_api_route(METRICS_PATH, scrape, methods=["GET"], include_in_schema=False)
    app.add_middleware(ObserveRequests, routes=app.router.routes)
