"""Engines, health, readiness and the OpenAPI description."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient


def test_engines_lists_tesseract_with_installed_languages(client: TestClient) -> None:
    engines = {e["name"]: e for e in client.get("/v1/engines").json()}

    tesseract = engines["tesseract"]
    assert tesseract["available"] is True
    assert {"eng", "vie"} <= set(tesseract["languages"])
    assert "osd" not in tesseract["languages"]
    assert "document" in tesseract["modes"]
    assert tesseract["version"].startswith("5.")


def test_healthz_and_readyz_answer_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz").json()
    assert ready["checks"] == {"database": "ok", "storage": "ok"}


def test_readyz_reports_unwritable_storage(client: TestClient) -> None:
    storage = client.app.state.untxt.storage  # type: ignore[attr-defined]
    shutil.rmtree(storage.root)
    storage.root.write_text("a file where the blob folder should be")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"].startswith("storage")


def test_openapi_describes_the_v1_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for path in (
        "/v1/ocr",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/cancel",
        "/v1/jobs/{job_id}/result",
        "/v1/documents",
        "/v1/documents/{document_id}",
        "/v1/engines",
    ):
        assert path in paths
