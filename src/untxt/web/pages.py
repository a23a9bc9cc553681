"""The UI's pages: one template each, a shared layout, static files under ``/static``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from untxt.version import __version__

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PREFIX = "/static"


@dataclass(frozen=True)
class Page:
    """A page of the UI: where it is served, its template and its place in the menu."""

    path: str
    template: str
    title: str
    #: The menu entry that leads to it; ``None`` for pages reached from others.
    menu: str | None = None
    #: Shown in the menu to admins only (the API refuses the rest anyway).
    admin: bool = False


PAGES = (
    Page("/", "jobs.html", "Jobs", menu="Jobs"),
    Page("/jobs/{job_id}", "viewer.html", "Result"),
    Page("/search", "search.html", "Search", menu="Search"),
    Page("/invoices", "invoices.html", "Invoices", menu="Invoices"),
    Page("/compare", "compare.html", "Compare engines", menu="Compare"),
    Page("/account", "account.html", "Account", menu="Account"),
    Page("/admin", "admin.html", "Admin", menu="Admin", admin=True),
    Page("/login", "login.html", "Log in"),
)


def _asset_version() -> str:
    """A digest of the static files, appended to their URLs so that browsers refetch them
    after an upgrade and may otherwise keep them."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _router(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    menu = [page for page in PAGES if page.menu]

    def add(page: Page) -> None:
        async def render(request: Request) -> HTMLResponse:
            return templates.TemplateResponse(
                request,
                page.template,
                {"page": page, "menu": menu, "version": __version__},
            )

        router.add_api_route(page.path, render, methods=["GET"], response_class=HTMLResponse)

    for page in PAGES:
        add(page)
    return router


def install_web(app: FastAPI) -> None:
    """Serve the UI's pages and static files from ``app``."""
    templates = Jinja2Templates(directory=HERE / "templates")
    asset = _asset_version()
    templates.env.globals["static"] = lambda name: f"{STATIC_PREFIX}/{name}?v={asset}"
    app.include_router(_router(templates))
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="static")
