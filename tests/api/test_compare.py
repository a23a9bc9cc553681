"""``/v1/compare``: one document through several engines."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem


def test_comparing_needs_two_engines(client: TestClient) -> None:
    response = client.post(
        "/v1/compare",
        files={"file": ("a.png", samples.png(["ONE ENGINE"]))},
        data={"engines": "tesseract"},
    )

    assert "two engines" in assert_problem(response, 422, "invalid-options")["detail"]


def test_comparing_with_an_unknown_engine_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/compare",
        files={"file": ("a.png", samples.png(["X"]))},
        data={"engines": "tesseract,nonesuch"},
    )

    assert "nonesuch" in assert_problem(response, 422, "engine-unavailable")["detail"]


def test_an_unknown_comparison_is_not_found(client: TestClient) -> None:
    assert_problem(client.get("/v1/compare/batch_nope"), 404, "not-found")
