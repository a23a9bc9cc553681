"""Bad input gets a clear 4xx problem at submit time, or a failed job with a readable error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.conftest import drain
from untxt.app import create_app
from untxt.config import Settings
from untxt.engines import EngineRegistry
from untxt.worker import Worker


def test_empty_file_is_refused(client: TestClient) -> None:
    body = assert_problem(submit(client, b""), 422, "empty-document")
    assert "empty" in body["detail"]


def test_text_file_named_png_is_unsupported(client: TestClient) -> None:
    response = submit(client, b"just some words, not an image\n", filename="notes.png")

    body = assert_problem(response, 415, "unsupported-media-type")
    assert "PNG" in body["detail"]


def test_truncated_png_is_refused_as_corrupt(client: TestClient) -> None:
    response = submit(client, samples.truncated_png())

    assert_problem(response, 422, "corrupt-document")


def test_corrupt_pdf_is_refused(client: TestClient) -> None:
    response = submit(client, samples.corrupt_pdf(), filename="bad.pdf")

    body = assert_problem(response, 422, "corrupt-document")
    assert "PDF" in body["detail"]


def test_encrypted_pdf_is_refused(client: TestClient) -> None:
    response = submit(client, samples.encrypted_pdf(), filename="locked.pdf")

    body = assert_problem(response, 422, "encrypted-document")
    assert "password" in body["detail"]


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"languages": ["klingon"]}, "klingon"),
        ({"mode": "handwritten"}, "handwritten"),
        ({"engine": "nonesuch"}, "nonesuch"),
    ],
)
def test_options_the_engine_cannot_honour_are_refused(
    client: TestClient, options: dict[str, object], needle: str
) -> None:
    response = submit(client, samples.png(["X"]), options=options)

    assert needle in assert_problem(response, 422, "engine-unavailable")["detail"]


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ('{"priority": 11}', "priority"),
        ('{"resolution": "huge"}', "resolution"),
        ('{"colour": "blue"}', "colour"),
        ('{"languages": []}', "languages"),
        ('{"outputs": ["docx"]}', "outputs"),
        ("not json", "options"),
    ],
)
def test_invalid_option_values_are_refused(client: TestClient, options: str, needle: str) -> None:
    response = submit(client, samples.png(["X"]), options=options)

    assert needle in assert_problem(response, 422, "invalid-options")["detail"]


def test_bad_input_creates_no_job(client: TestClient) -> None:
    submit(client, b"")
    submit(client, samples.corrupt_pdf())

    assert client.get("/v1/jobs").json()["items"] == []
    assert client.get("/v1/documents").json()["items"] == []


def test_missing_file_field_is_refused(client: TestClient) -> None:
    response = client.post("/v1/ocr", data={"options": "{}"})

    assert_problem(response, 422, "validation-error")


@pytest.fixture
def small_client(settings: Settings, engines: EngineRegistry) -> TestClient:
    app = create_app(settings.with_overrides(max_upload_bytes=10_000), engines=engines)
    with TestClient(app) as test_client:
        yield test_client  # type: ignore[misc]


def test_oversize_upload_is_refused_with_413(small_client: TestClient) -> None:
    big = samples.encode(samples.text_image(["BIG"] * 40, size=60), "BMP")
    assert len(big) > 10_000 + 64 * 1024

    body = assert_problem(submit(small_client, big, filename="big.bmp"), 413)
    assert "10000" in body["detail"]


def test_upload_just_over_the_limit_is_refused(small_client: TestClient) -> None:
    data = samples.png(["X"]) + b"\0" * 10_001

    assert_problem(submit(small_client, data), 413, "document-too-large")


def test_too_many_pages_is_refused(settings: Settings, engines: EngineRegistry) -> None:
    app = create_app(settings.with_overrides(max_pages=2), engines=engines)
    with TestClient(app) as client:
        response = submit(client, samples.pdf([["A"], ["B"], ["C"]]), filename="three.pdf")

    assert "3 pages" in assert_problem(response, 413, "document-too-large")["detail"]


def test_undecodable_page_fails_the_job_with_a_reason(client: TestClient, worker: Worker) -> None:
    # A PNG whose chunks are intact but whose compressed pixels are garbage passes the
    # submit-time checks; the worker finds out when it decodes the page.
    data = bytearray(samples.png(["BROKEN"]))
    start = data.index(b"IDAT") + 4
    data[start + 10 : start + 60] = b"\xff" * 50
    job = submit(client, _fix_crc(bytes(data))).json()

    drain(worker)

    failed = client.get(f"/v1/jobs/{job['id']}").json()
    assert failed["status"] == "failed"
    assert "cannot be decoded" in failed["error"]
    assert failed["attempts"] == 1  # a damaged file is not retried
    assert failed["finished_at"] is not None


def _fix_crc(png: bytes) -> bytes:
    """Recompute the IDAT chunk CRC so that only the pixel data is damaged."""
    import struct
    import zlib

    at = png.index(b"IDAT") - 4
    (length,) = struct.unpack(">I", png[at : at + 4])
    chunk = png[at + 4 : at + 8 + length]
    crc = struct.pack(">I", zlib.crc32(chunk) & 0xFFFFFFFF)
    end = at + 8 + length
    return png[:end] + crc + png[end + 4 :]


def test_unknown_job_is_a_404_problem(client: TestClient) -> None:
    for response in (
        client.get("/v1/jobs/job_nope"),
        client.post("/v1/jobs/job_nope/cancel"),
        client.delete("/v1/jobs/job_nope"),
        client.get("/v1/jobs/job_nope/result"),
        client.get("/v1/documents/doc_nope"),
    ):
        assert_problem(response, 404, "not-found")


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing"), 404)
