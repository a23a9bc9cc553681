"""HTTP hygiene: request ids, security headers, CORS, and 500s that reveal nothing.

Every response carries ``X-Request-ID`` (the client's own, when it sends a sane
one) and every log line written while the request runs names it. Every response
gets ``X-Content-Type-Options``, ``X-Frame-Options`` and ``Referrer-Policy``; HTML
gets a Content-Security-Policy, a looser one for the API docs page, whose Swagger UI
(served from the package) starts with an inline script. Cross-origin access is closed unless
``UNTXT_CORS_ORIGINS`` lists origins.
"""

from __future__ import annotations

import re
import uuid

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from untxt.api.docs_page import DOCS_PATH
from untxt.api.problems import problem
from untxt.auth.sessions import CSRF_HEADER
from untxt.config import Settings
from untxt.logs import get_logger

log = get_logger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# Ids clients commonly send (UUIDs, hex, ULIDs, trace ids); anything else is replaced
# so that logs never carry a client's control characters or megabytes.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")

_BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
#: For HTML the service writes itself (results rendered as HTML, the web UI).
HTML_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
#: For /docs: Swagger UI, served from this server, starts with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_INTERNAL_ERROR = "an unexpected error occurred; it has been logged"
# No id, cursor or option holds a control character, and PostgreSQL refuses NUL in
# text outright: such a request is refused at the door rather than deep in a query.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ENCODED_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])")
_CONTROL_DETAIL = "the URL holds control characters (such as NUL), which no parameter allows"


def has_control_characters(scope: Scope) -> bool:
    """Whether the request's path or query string holds a control character."""
    query: bytes = scope.get("query_string", b"")
    return bool(_CONTROL.search(scope["path"]) or _ENCODED_CONTROL.search(query)) or any(
        byte < 0x20 or byte == 0x7F for byte in query
    )


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's ``X-Request-ID`` when it is sane, else a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _SANE_REQUEST_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class HttpHygiene:
    """ASGI middleware, outermost: request id, security headers, and a generic 500."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        csp = DOCS_CSP if scope["path"] in self.docs_paths else HTML_CSP
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in _BASE_HEADERS if n not in present]
                extra.append((b"x-request-id", request_id.encode()))
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in (
                    present
                ):
                    extra.append((b"content-security-policy", csp.encode()))
                if scope.get("scheme") == "https":
                    extra.append(_HSTS)
                message["headers"] = [*headers, *extra]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            if has_control_characters(scope):
                await problem(400, _CONTROL_DETAIL)(scope, receive, send_with_headers)
                return
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as exc:
                # The trace goes to the log, under the request id the client is given.
                log.error(
                    "unhandled error",
                    method=scope["method"],
                    path=scope["path"],
                    exc_info=exc,
                )
                if started:
                    raise
                response = problem(500, _INTERNAL_ERROR, request_id=request_id)
                await response(scope, receive, send_with_headers)


def install_hygiene(app: FastAPI, settings: Settings) -> None:
    """Add CORS (when origins are configured) and :class:`HttpHygiene` around ``app``.

    Call it after every other middleware: the last added runs first, so that
    responses made by the others (413, 429) get request ids and headers too.
    """
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "Last-Event-ID",
                CSRF_HEADER,
                REQUEST_ID_HEADER,
                "X-API-Key",
            ],
            expose_headers=[
                "Location",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
                REQUEST_ID_HEADER,
            ],
            max_age=600,
        )
    app.add_middleware(HttpHygiene, docs_paths=frozenset({DOCS_PATH}))
