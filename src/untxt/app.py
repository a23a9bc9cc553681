"""The FastAPI application factory: wires settings, database, storage, engines and routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from untxt import __version__
from untxt.api.deps import AppState
from untxt.api.limits import BodySizeLimit
from untxt.api.problems import install_problem_handlers
from untxt.api.routers import batches, compare, documents, jobs, system
from untxt.config import Settings, load_settings
from untxt.db import Database, upgrade
from untxt.engines import EngineRegistry
from untxt.queue.notify import Notifier, PollingNotifier
from untxt.storage import BlobStore, open_storage


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
    state = AppState(
        settings=settings,
        db=db or Database(settings.database_url),
        storage=storage or open_storage(settings.storage_url, settings),
        engines=engines or EngineRegistry(settings),
        notifier=notifier or PollingNotifier(),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # `untxt serve` has migrated already; this covers any other ASGI server
        # (uvicorn --factory untxt.app:create_app), at the cost of one query.
        await run_in_threadpool(upgrade, state.db)
        yield
        state.db.dispose()

    app = FastAPI(
        title="untxt",
        version=__version__,
        summary="Asynchronous OCR: upload documents, get text, markdown, JSON and hOCR back.",
        lifespan=lifespan,
    )
    app.state.untxt = state
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_upload_bytes=settings.max_upload_bytes)
    for module in (documents, jobs, batches, compare, system):
        app.include_router(module.router)
    return app
