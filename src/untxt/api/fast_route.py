"""Routes with a fast path: the plain requests of a hot endpoint skip FastAPI's
parameter solving, and FastAPI's own handler answers every other one.

FastAPI validates each request's parameters through the endpoint's dependency tree:
on ``POST /v1/ocr`` (three dependencies, two form fields, two query parameters) a
tenth of the CPU of a submit in the process (``bench/README.md``). A route of
:func:`fast_path_route` first offers the request to a function of its own, which
answers it or returns ``None`` having done nothing that FastAPI's handler cannot do
again: the form it parsed stays on the request, where FastAPI finds it. The
endpoint's signature still documents the route and answers the other requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

FastPath = Callable[[Request], Awaitable[Response | None]]


def fast_path_route(fast: FastPath) -> type[APIRoute]:
    """A route class whose requests go to ``fast`` first, then, where it returns
    ``None``, to FastAPI's handler of the endpoint."""

    class FastPathRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            solved = super().get_route_handler()

            async def handler(request: Request) -> Response:
                # Dependency overrides (a test's, say) are FastAPI's to apply.
                if not request.app.dependency_overrides:
                    response = await fast(request)
                    if response is not None:
                        return response
                return await solved(request)

            return handler

    return FastPathRoute


def is_multipart(request: Request) -> bool:
    """Whether the request's body is ``multipart/form-data``."""
    media_type = request.headers.get("content-type", "").partition(";")[0]
    return media_type.strip().lower() == "multipart/form-data"


async def read_form(request: Request) -> FormData:
    """The request's form, read as FastAPI's handler reads it: its errors the same
    (an HTTP error as it is, any other a 400), its files closed once the answer is sent.

    untxt's body limit raises an HTTP error (:class:`untxt.api.limits.PayloadTooLargeError`);
    FastAPI's own, which it would map to a 413 too, is not set.
    """
    try:
        form = await request.form()
    except HTTPException:
        raise
    except Exception as exc:
        raise HTTPException(400, "There was an error parsing the body") from exc
    stack = request.scope["fastapi_middleware_astack"]
    assert isinstance(stack, AsyncExitStack), "FastAPI's middleware stack is in the scope"
    stack.push_async_callback(form.close)
    return form
