"""Engines, health, readiness and the OpenAPI description."""

from __future__ import annotations

import shutil

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, upload
from tests.auth_helpers import bearer, make_user_key
from untxt.options import ALL_FORMATS, RESOLUTION_DPI, JobOptions


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
        "/v1/options",
    ):
        assert path in paths


def test_options_give_a_submit_forms_defaults_and_choices(client: TestClient) -> None:
    options = client.get("/v1/options").json()

    assert options["defaults"] == JobOptions().model_dump(mode="json")
    assert options["engines"] == client.get("/v1/engines").json()
    assert options["auto_engine"] in {e["name"] for e in options["engines"] if e["available"]}
    assert options["modes"] == ["document", "handwritten", "general", "figure"]
    assert options["resolutions"] == RESOLUTION_DPI
    assert options["pdf_modes"] == ["auto", "force", "skip_text"]
    assert options["outputs"] == list(ALL_FORMATS)
    assert options["extract"][0] == "auto"
    assert {"invoice", "receipt"} <= set(options["extract"])
    assert options["priority"] == {"min": 0, "max": 10, "default": 5}
    settings = client.app.state.untxt.settings  # type: ignore[attr-defined]
    assert options["limits"] == {
        "max_upload_bytes": settings.max_upload_bytes,
        "max_pages": settings.max_pages,
        "max_batch": settings.max_batch,
        "max_languages": 8,
    }


def test_every_choice_the_options_offer_is_accepted_by_a_submit(client: TestClient) -> None:
    options = client.get("/v1/options").json()
    document = upload(client, samples.png(["CHOICES"]))
    engine = options["auto_engine"]
    chosen = {
        "engine": engine,
        "mode": options["modes"][0],
        "resolution": list(options["resolutions"])[-1],
        "pdf_mode": options["pdf_modes"][-1],
        "outputs": options["outputs"],
        "extract": options["extract"],
        "priority": options["priority"]["max"],
    }

    response = client.post("/v1/jobs", json={"document_id": document, "options": chosen})
    too_high = {"priority": options["priority"]["max"] + 1}
    refused = client.post("/v1/jobs", json={"document_id": document, "options": too_high})

    assert response.status_code == 202, response.text
    assert_problem(refused, 422)


def test_options_need_the_same_sign_in_as_other_reads(client: TestClient) -> None:
    key = make_user_key(client, "user@example.com")

    assert_problem(client.get("/v1/options"), 401)
    assert client.get("/v1/options", headers=bearer(key)).status_code == 200
