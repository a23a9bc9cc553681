"""The FastAPI application factory: wires settings, database, storage, engines and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from untxt import tracing
from untxt.api.deps import AppState, install_auth_handlers, submit_slots
from untxt.api.docs_page import install_docs_page
from untxt.api.hygiene import install_hygiene
from untxt.api.limits import BodySizeLimit
from untxt.api.metrics import install_metrics
from untxt.api.openapi import install_problem_docs
from untxt.api.problems import install_problem_handlers
from untxt.api.ratelimit import RateLimiter, RateLimitMiddleware
from untxt.api.routers import (
    admin,
    ask,
    audit,
    auth,
    batches,
    compare,
    documents,
    events,
    fields,
    invoices,
    jobs,
    keys,
    links,
    search,
    system,
    templates,
    usage,
    users,
    webhooks,
    ws,
)
from untxt.api.submit_line import SubmitLine
from untxt.auth import Accounts
from untxt.config import Settings, load_settings
from untxt.db import Database, upgrade
from untxt.engines import EngineRegistry
from untxt.events.deliverer import Deliverer
from untxt.events.fanout import EventHub
from untxt.queue.notify import Notifier, PollingNotifier
from untxt.storage import BlobStore, open_storage
from untxt.version import __version__
from untxt.web import install_web


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    storage: BlobStore | None = None,
    engines: EngineRegistry | None = None,
    notifier: Notifier | None = None,
) -> FastAPI:
    """Build the API. Anything not given is created from ``settings``."""
    settings = settings or load_settings()
    db = db or Database(settings.database_url)
    state = AppState(
        settings=settings,
        db=db,
        storage=storage or open_storage(settings.storage_url, settings),
        engines=engines or EngineRegistry(settings),
        notifier=notifier or PollingNotifier(),
        accounts=Accounts.from_settings(db, settings),
    )
    state.submit_line = SubmitLine(state, submit_slots(settings))
    hub = EventHub(db, poll_interval=settings.event_poll_interval)
    tracing.configure_tracing(settings.otel, role="api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # `untxt serve` has migrated already; this covers any other ASGI server
        # (uvicorn --factory untxt.app:create_app), at the cost of one query.
        await run_in_threadpool(upgrade, state.db)
        deliverer = Deliverer(settings, state.db) if settings.webhook_delivery else None
        if deliverer is not None:
            deliverer.start()
        app.state.deliverer = deliverer
        yield
        if deliverer is not None:
            await run_in_threadpool(deliverer.stop)
        await hub.aclose()
        state.submit_line.close()
        state.db.dispose()
        tracing.flush()

    app = FastAPI(
        title="untxt",
        version=__version__,
        summary="Asynchronous OCR: upload documents, get text, markdown, JSON and hOCR back.",
        lifespan=lifespan,
        # Swagger UI from the package (install_docs_page), not from a CDN; no ReDoc,
        # which ships no offline copy.
        docs_url=None,
        redoc_url=None,
    )
    app.state.untxt = state
    app.state.event_hub = hub
    install_problem_handlers(app)
    install_auth_handlers(app)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(RateLimitMiddleware, limiter=RateLimiter.from_settings(settings))
    # A request is matched against the routes in order: submits' first.
    for module in (jobs, documents, batches, compare, system):
        app.include_router(module.router)
    for module in (fields, invoices, templates, search, ask):
        app.include_router(module.router)
    for module in (auth, keys, users, audit, admin):
        app.include_router(module.router)
    for module in (events, ws):
        app.include_router(module.router)
    app.include_router(webhooks.router)
    for module in (links, usage):
        app.include_router(module.router)
    install_web(app)
    install_docs_page(app)
    install_metrics(app, state)
    # Last, so that it wraps every other middleware's answers too.
    install_hygiene(app, settings)
    install_problem_docs(app)
    return app
