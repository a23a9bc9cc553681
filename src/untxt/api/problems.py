"""RFC 9457 problem details: every error the API returns is ``application/problem+json``."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from untxt.errors import UntxtError
from untxt.logs import get_logger

log = get_logger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
_SLUGS = {
    400: "bad-request",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "rate-limited",
    500: "internal",
}


def problem_type(slug: str) -> str:
    """The ``type`` URI of a problem; documented in docs/errors.md."""
    return f"/problems/{slug}"


def problem(
    status: int, detail: str, *, slug: str | None = None, title: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": problem_type(slug or _SLUGS.get(status, "error")),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def _untxt_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UntxtError)
    return problem(exc.status, str(exc), slug=exc.problem, title=exc.title, **exc.extra)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    response = problem(exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(422, summary or "invalid request", title="Invalid request", errors=errors)


def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Lost connections, a restarting server, a locked file: the request may succeed
    # if retried, and the client should be told so rather than shown a 500.
    log.warning("database unavailable", path=request.url.path, error=str(exc).splitlines()[0])
    response = problem(
        503,
        "the database is unavailable; retry shortly",
        slug="database-unavailable",
        title="Database unavailable",
    )
    response.headers["Retry-After"] = "1"
    return response


def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    request_id = getattr(request.state, "request_id", None)
    extra = {"request_id": request_id} if request_id else {}
    return problem(500, "an unexpected error occurred; it has been logged", **extra)


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error as problem+json."""
    app.add_exception_handler(UntxtError, _untxt_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
