"""Schemathesis against the app's own OpenAPI schema: no 5xx, every answer as documented.

One test per operation and generation mode (valid and invalid requests), signed in
with an admin's API key. A handful of examples each keeps the run short; what it
checks is that nothing a client can send breaks the server or the contract: no 5xx,
only documented status codes and media types (untxt.api.openapi lists each
operation's problems), bodies that match their schemas. Schemathesis's
positive-data-acceptance check is left out: data valid by the schema is often
refused by design (random bytes are no image, random ids name nothing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.auth_helpers import make_user_key
from tests.conftest import make_settings
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.storage.memory import MemoryBlobStore

# Streams that end only when the client goes away: a request would never return.
STREAMING = ("GET /v1/events", "GET /v1/jobs/{job_id}/events")
# A few per operation keep the run under a minute; FUZZ_EXAMPLES=200 searches harder.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations() -> list[tuple[str, GenerationMode]]:
    """Every operation of the schema as ``METHOD /path``, with valid requests, and with
    invalid ones where it takes any input (read without serving anything)."""
    app = create_app(make_settings(Path("/nonexistent")), storage=MemoryBlobStore())
    cases = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            if label in STREAMING:
                continue
            cases.append((label, GenerationMode.POSITIVE))
            # Any string is a valid id, so path parameters alone allow no invalid request.
            inputs = [p for p in operation.get("parameters", []) if p["in"] != "path"]
            if inputs or "requestBody" in operation:
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, engines: EngineRegistry
) -> Iterator[FastAPI]:
    """One app for the whole run: what earlier requests created, later ones may meet."""
    app = create_app(make_settings(tmp_path_factory.mktemp("fuzz") / "data"), engines=engines)
    with TestClient(app):  # runs the migrations and background tasks
        yield app


@pytest.fixture(scope="module")
def api_key(fuzz_app: FastAPI) -> str:
    return make_user_key(fuzz_app, "fuzz@example.com", admin=True)


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


@pytest.mark.parametrize(("label", "mode"), _operations())
def test_api_answers_as_documented(
    api_schema: Any, api_key: str, label: str, mode: GenerationMode
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, label

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        pytest.skip(f"{label} allows no invalid request")
