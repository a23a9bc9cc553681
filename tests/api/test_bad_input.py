"""Bad input gets a clear 4xx problem at submit time, or a failed job with a readable error."""

from __future__ import annotations

import asyncio
import resource

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


def test_type_is_decided_by_content_not_by_name_or_content_type(client: TestClient) -> None:
    as_pdf = client.post(
        "/v1/documents", files={"file": ("report.pdf", samples.png(["X"]), "application/pdf")}
    )
    as_jpeg = client.post(
        "/v1/documents", files={"file": ("photo.jpg", samples.pdf([["X"]]), "image/jpeg")}
    )

    assert as_pdf.json()["media_type"] == "image/png"
    assert as_jpeg.json()["media_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("archive.png", samples.zip_archive()),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'),
        ("page.pdf", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("icon.png", samples.encode(samples.text_image(["X"]).resize((64, 64)), "ICO")),
        ("scan.png", samples.encode(samples.text_image(["X"]), "PPM")),
        ("setup.pdf", b"MZ\x90\x00" + b"\0" * 200),
    ],
)
def test_formats_outside_the_allow_list_are_refused(
    client: TestClient, name: str, data: bytes
) -> None:
    body = assert_problem(submit(client, data, filename=name), 415, "unsupported-media-type")
    assert "PDF, PNG, JPEG, TIFF, BMP, GIF or WebP" in body["detail"]


def test_a_streamed_body_over_the_limit_is_refused_before_it_is_all_read(
    small_client: TestClient,
) -> None:
    """A chunked upload with no Content-Length, endless: 413 once the limit is passed."""
    chunk = 64 * 1024
    read = 0

    async def receive() -> dict[str, object]:
        nonlocal read
        read += 1
        if read == 1:
            head = (
                b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
                b"Content-Type: image/png\r\n\r\n" + samples.png(["X"])
            )
            return {"type": "http.request", "body": head, "more_body": True}
        return {"type": "http.request", "body": b"\0" * chunk, "more_body": read < 100_000}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/ocr",
        "raw_path": b"/v1/ocr",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"multipart/form-data; boundary=B"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("192.0.2.7", 1234),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(small_client.app(scope, receive, send))  # type: ignore[arg-type]

    assert sent[0]["status"] == 413
    assert b"10000" in b"".join(m.get("body", b"") for m in sent)  # type: ignore[misc]
    # The 10,000-byte limit plus the multipart allowance, and not a chunk more than needed.
    assert (read - 1) * chunk <= 10_000 + 64 * 1024 + chunk


def test_file_names_are_metadata_only(
    settings: Settings, engines: EngineRegistry, db_url: str
) -> None:
    # Written by hand: HTTP clients escape a NUL in a file name, an attacker need not.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; '
        b'filename="../../../../tmp/evil\0name.png"\r\n\r\n' + samples.png(["X"]) + b"\r\n--B--\r\n"
    )
    app = create_app(settings.with_overrides(database_url=db_url), engines=engines)
    with TestClient(app) as client:
        answer = client.post(
            "/v1/documents",
            content=body,
            headers={"Content-Type": "multipart/form-data; boundary=B"},
        )

    assert answer.status_code == 201, answer.text
    assert answer.json()["filename"] == "evilname.png"
    stored = [p.name for p in settings.data_dir.rglob("*") if p.is_file()]
    assert not any("evil" in stored_name for stored_name in stored)


def test_a_tiny_png_claiming_ten_billion_pixels_is_refused(client: TestClient) -> None:
    bomb = samples.pixel_bomb_png(100_000, 100_000)
    assert len(bomb) < 1024

    body = assert_problem(submit(client, bomb), 422, "image-too-large")
    assert "10000000000 pixels" in body["detail"]


def test_a_pdf_of_ten_thousand_empty_pages_is_refused(client: TestClient) -> None:
    response = submit(client, samples.empty_pages_pdf(10_000), filename="many.pdf")

    body = assert_problem(response, 413, "document-too-large")
    assert "10000 pages" in body["detail"]


def test_a_truncated_pdf_is_refused_as_corrupt(client: TestClient) -> None:
    whole = samples.pdf([["CUT"]])

    response = submit(client, whole[: len(whole) - 200], filename="cut.pdf")

    assert "PDF" in assert_problem(response, 422, "corrupt-document")["detail"]


def test_an_image_with_a_pdf_appended_is_read_as_the_image(
    client: TestClient, worker: Worker
) -> None:
    polyglot = samples.png(["PICTURE"]) + samples.pdf([["DOCUMENT"]])

    job = submit(client, polyglot, filename="both.pdf").json()
    drain(worker)

    document = client.get(f"/v1/documents/{job['document_id']}").json()
    assert document["media_type"] == "image/png"
    text = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"}).text
    assert "PICTURE" in text and "DOCUMENT" not in text


def test_a_pdf_with_a_zip_appended_is_read_as_the_pdf(client: TestClient) -> None:
    response = submit(client, samples.pdf([["X"]]) + samples.zip_archive(), filename="a.zip")

    assert response.status_code == 202, response.text
    document = client.get(f"/v1/documents/{response.json()['document_id']}").json()
    assert document["media_type"] == "application/pdf"


def test_a_page_too_large_to_render_fails_its_job(client: TestClient, worker: Worker) -> None:
    # 200 inches square: 60,000 x 60,000 pixels at 300 DPI. Accepted at submit (page
    # counts only), refused when the worker sizes the page, before rendering it.
    job = submit(client, samples.empty_pages_pdf(1, size_pt=14_400), filename="huge.pdf")

    drain(worker)

    failed = client.get(f"/v1/jobs/{job.json()['id']}").json()
    assert failed["status"] == "failed"
    assert "pixels" in failed["error"]


def test_a_job_past_its_time_limit_fails_with_the_reason(
    settings: Settings, engines: EngineRegistry
) -> None:
    app = create_app(settings.with_overrides(job_timeout=0.01), engines=engines)
    with TestClient(app) as client:
        state = app.state.untxt
        slow = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
        job = submit(client, samples.png(["SLOW"])).json()

        drain(slow)

        failed = client.get(f"/v1/jobs/{job['id']}").json()
    assert failed["status"] == "failed"
    assert "UNTXT_JOB_TIMEOUT" in failed["error"]
    assert failed["attempts"] == 1  # running it again would not be quicker


def _bad_corpus() -> list[tuple[str, bytes]]:
    whole_pdf = samples.pdf([["CUT"]])
    return [
        ("empty.png", b""),
        ("notes.png", b"just words\n" * 100),
        ("truncated.png", samples.truncated_png()),
        ("corrupt.pdf", samples.corrupt_pdf()),
        ("cut.pdf", whole_pdf[: len(whole_pdf) // 2]),
        ("locked.pdf", samples.encrypted_pdf()),
        ("bomb.png", samples.pixel_bomb_png()),
        ("wide.png", samples.pixel_bomb_png(1_000_000, 1)),
        ("many.pdf", samples.empty_pages_pdf(10_000)),
        ("huge-page.pdf", samples.empty_pages_pdf(1, size_pt=14_400)),
        ("archive.zip", samples.zip_archive()),
        ("both.png", samples.png(["PICTURE"]) + samples.pdf([["DOCUMENT"]])),
        ("gif-then-pdf.gif", b"GIF89a" + samples.pdf([["X"]])),
        ("../../etc/passwd\0.png", samples.png(["NAMED"])),
    ]


def test_the_server_survives_the_bad_corpus_in_bounded_memory(
    client: TestClient, worker: Worker
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    statuses = [submit(client, data, filename=name).status_code for name, data in _bad_corpus()]
    drain(worker)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

    assert all(status < 500 for status in statuses), statuses
    assert client.get("/healthz").status_code == 200
    job = submit(client, samples.png(["STILL", "WORKING"])).json()
    drain(worker)
    text = client.get(f"/v1/jobs/{job['id']}/result", params={"format": "text"}).text
    assert "WORKING" in text
    assert grown_mib < 200, f"peak memory grew by {grown_mib:.0f} MiB"
