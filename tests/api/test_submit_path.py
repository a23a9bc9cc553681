"""The submit routes' shape that keeps a submit cheap: at most one trip to the thread pool."""

from __future__ import annotations

import inspect

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from untxt.api.routers import batches, documents, jobs

SUBMITS = [
    (jobs.router, "/v1/ocr"),
    (jobs.router, "/v1/jobs"),
    (batches.router, "/v1/jobs/batch"),
    (documents.router, "/v1/documents"),
]


def _dependencies(dependant: Dependant) -> list[Dependant]:
    found = []
    for dependency in dependant.dependencies:
        found.append(dependency)
        found.extend(_dependencies(dependency))
    return found


@pytest.mark.parametrize(("router", "path"), SUBMITS)
def test_every_dependency_of_a_submit_is_async(router: APIRouter, path: str) -> None:
    # FastAPI runs a sync dependency in the thread pool: a thread hand-over per request.
    route = next(
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and "POST" in r.methods
    )
    sync = [
        getattr(d.call, "__name__", repr(d.call))
        for d in _dependencies(route.dependant)
        if d.call is not None and not inspect.iscoroutinefunction(d.call)
    ]
    assert sync == []
