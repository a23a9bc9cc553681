"""Browser tests: Debian's Chromium, driven by Playwright, against real ``untxt serve`` processes.

Two servers for the whole session: one in single-user mode with an OCR worker (uploads,
live job list, viewer, fields), and one with accounts and no workers (login, keys,
isolation, admin). Each test gets a fresh browser context (its own cookies).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.conftest import make_settings
from tests.worker.helpers import output, start, wait_for

CHROMIUM = Path("/usr/bin/chromium")
ADMIN = ("admin@example.com", "correct horse battery")
USER = ("user@example.com", "another good password")
OTHER = ("other@example.com", "a third good password")
#: Where screenshots go when UNTXT_UI_SCREENSHOTS names a folder (docs/img for the docs).
SCREENSHOTS = os.environ.get("UNTXT_UI_SCREENSHOTS")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A running ``untxt serve``: its base URL, and an HTTP client for the test's own checks."""

    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def client_for(self, email: str, password: str) -> httpx.Client:
        """An HTTP client logged in as ``email`` (cookies and CSRF token set)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        response = client.post("/v1/auth/login", json={"email": email, "password": password})
        response.raise_for_status()
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client


def _serve(tmp: Path, workers: int) -> Iterator[Server]:
    settings = make_settings(tmp / "data")
    port = _free_port()
    process = start(
        ["serve", "--port", str(port), "--workers", str(workers)],
        settings,
        # A fresh server answers its first OCR from models loaded in the worker; the
        # UI polls nothing, so the defaults of events and workers stand.
        UNTXT_API_PROCESSES="1",
    )
    server = Server(f"http://127.0.0.1:{port}", process, settings.data_dir)

    def ready() -> bool:
        try:
            return server.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, timeout=60, interval=0.2)
        yield server
    finally:
        server.http.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        if process.returncode not in (0, -signal.SIGTERM):
            print(output(process))


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Single-user mode with one OCR worker: nobody logs in."""
    yield from _serve(tmp_path_factory.mktemp("ui-local"), workers=1)


@pytest.fixture(scope="session")
def accounts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Accounts: an admin and two users with passwords, no OCR workers."""
    for server in _serve(tmp_path_factory.mktemp("ui-accounts"), workers=0):
        # The local caller may create the first user, which ends single-user mode.
        email, password = ADMIN
        created = server.http.post(
            "/v1/users", json={"email": email, "password": password, "role": "admin"}
        )
        assert created.status_code == 201, created.text
        # client_for has already sent a request, so the client is open: no `with` (httpx
        # refuses to enter a client twice); closed here instead.
        admin = server.client_for(*ADMIN)
        try:
            for email, password in (USER, OTHER):
                made = admin.post("/v1/users", json={"email": email, "password": password})
                assert made.status_code == 201, made.text
        finally:
            admin.close()
        yield server


# Per module, not per session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and tests run after these (asyncio.run) must find none.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@dataclass
class Console:
    """What the page said in its console: script errors and refused content (CSP)."""

    errors: list[str] = field(default_factory=list)

    def record(self, message: ConsoleMessage) -> None:
        # An API failure the page shows in words is logged by Chromium as a failed
        # resource load; the tests that cause one on purpose expect it.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(message.text)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh contexts; every page must end with no script error or CSP refusal."""
    opened: list[tuple[Any, Console]] = []

    def make(base_url: str, *, width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            base_url=base_url, viewport={"width": width, "height": height}, accept_downloads=True
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        console = Console()
        page.on("console", console.record)
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        opened.append((context, console))
        return page

    yield make
    errors = [error for _, console in opened for error in console.errors]
    for context, _ in opened:
        context.close()
    assert errors == [], errors


def login(page: Page, email: str, password: str, *, to: str = "/") -> None:
    """Log in through the login page, landing on ``to``."""
    page.goto(f"/login?next={to}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{to}")


def screenshot(page: Page, name: str) -> None:
    """Save the page for the docs, when asked to (UNTXT_UI_SCREENSHOTS=docs/img)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
