"""``/v1/compare``: one document through several engines."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem
from tests.conftest import drain
from untxt.worker import Worker


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


def test_two_engines_read_one_document_and_their_agreement_is_reported(
    client: TestClient, worker: Worker
) -> None:
    """Each engine reads the file in its own job; the comparison gives every reading and
    the agreement of the pair once both are done."""
    response = client.post(
        "/v1/compare",
        files={"file": ("a.png", samples.png(["INVOICE 2041", "TOTAL DUE 318.40"], size=36))},
        data={"engines": "tesseract,ppocr"},
    )
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert client.get(location).json()["status"] == "processing"

    drain(worker)
    body = client.get(location).json()

    assert body["status"] == "completed"
    readings = {reading["engine"]: reading for reading in body["engines"]}
    assert set(readings) == {"tesseract", "ppocr"}
    for reading in readings.values():
        assert "INVOICE" in reading["text"] and "318.40" in reading["text"]
        assert 0 < reading["confidence"] <= 1
        assert reading["seconds"] > 0
    [pair] = body["agreement"]
    assert {pair["a"], pair["b"]} == {"tesseract", "ppocr"}
    assert 0.5 < pair["agreement"] <= 1.0
