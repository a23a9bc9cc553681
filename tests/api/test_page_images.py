"""``/v1/jobs/{id}/pages/{n}/image``: the page as OCR saw it, scaled, in its boxes' frame."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image, ImageStat
from sqlalchemy import update

from tests import samples
from tests.api.helpers import assert_problem, submit
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import drain
from untxt.db.models import JobRow
from untxt.db.types import utcnow
from untxt.retention import cleanup
from untxt.storage.keys import document_blob_key
from untxt.worker import Worker

WORDS = ["INVOICE 4821", "TOTAL 99.50"]


def _state(client: TestClient) -> Any:
    return client.app.state.untxt  # type: ignore[attr-defined]


def _image(response: Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def _images(client: TestClient, job_id: str) -> list[str]:
    return [b.key for b in _state(client).storage.iter_blobs(f"jobs/{job_id}/images/")]


def _words(result: dict[str, Any], page: int = 0) -> list[dict[str, Any]]:
    return [
        word
        for block in result["pages"][page]["blocks"]
        for line in block["lines"]
        for word in line["words"]
    ]


def test_a_scan_comes_back_smaller_with_the_scale_that_puts_its_boxes_on_the_words(
    client: TestClient, worker: Worker
) -> None:
    scan = samples.text_image(WORDS, size=60)
    job = submit(client, samples.encode(scan, "PNG")).json()
    drain(worker)
    result = client.get(f"/v1/jobs/{job['id']}/result").json()

    response = client.get(f"/v1/jobs/{job['id']}/pages/1/image", params={"max_side": 400})
    image = _image(response)

    scale = float(response.headers["x-image-scale"])
    assert response.headers["content-type"] == "image/jpeg"
    assert max(image.size) == 400
    assert (int(response.headers["x-page-width"]), int(response.headers["x-page-height"])) == (
        scan.size
    )
    assert scale == round(400 / max(scan.size), 6)
    grey = image.convert("L")
    for word in _words(result):
        box = word["bbox"]
        inside = grey.crop(tuple(round(box[k] * scale) for k in ("x0", "y0", "x1", "y1")))
        stat = ImageStat.Stat(inside)
        assert stat.extrema[0][0] < 100 and stat.mean[0] < 230, word["text"]  # ink, not paper
    margin = grey.crop((0, 0, round(30 * scale), round(30 * scale)))
    assert ImageStat.Stat(margin).mean[0] > 240


def test_a_pdf_page_is_rendered_at_the_jobs_dpi_before_and_after_ocr(
    client: TestClient, worker: Worker
) -> None:
    pdf = samples.pdf([["FIRST PAGE"], ["SECOND PAGE"]], dpi=100)
    job = submit(client, pdf, filename="two.pdf", options={"resolution": "small"}).json()
    queued = client.get(f"/v1/jobs/{job['id']}/pages/2/image", params={"max_side": 4096})
    drain(worker)
    result = client.get(f"/v1/jobs/{job['id']}/result").json()
    done = client.get(f"/v1/jobs/{job['id']}/pages/2/image", params={"max_side": 4096})

    page = result["pages"][1]
    scan_width = samples.text_image(["SECOND PAGE"]).width
    for response in (queued, done):
        # Rendered at 200 DPI, twice the pixels of the 100 DPI scan inside the PDF.
        assert int(response.headers["x-page-width"]) == page["width"] == 2 * scan_width
        assert int(response.headers["x-page-height"]) == page["height"]
        assert float(response.headers["x-image-scale"]) == 1.0
        assert _image(response).size == (page["width"], page["height"])


def test_an_exif_turned_photo_is_shown_upright_as_ocr_read_it(client: TestClient) -> None:
    upright = samples.text_image(WORDS, mode="RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; a viewer turns it a quarter clockwise
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    job = submit(client, samples.encode(stored, "JPEG", exif=exif), filename="photo.jpg").json()

    response = client.get(f"/v1/jobs/{job['id']}/pages/1/image", params={"max_side": 4096})

    width, height = upright.size
    assert (response.headers["x-page-width"], response.headers["x-page-height"]) == (
        str(width),
        str(height),
    )
    assert _image(response).size == (width, height)


def test_webp_is_sent_when_asked_by_name_or_preferred_by_the_accept_header(
    client: TestClient,
) -> None:
    job = submit(client, samples.png(WORDS)).json()
    url = f"/v1/jobs/{job['id']}/pages/1/image"

    named = client.get(url, params={"format": "webp"})
    browser = client.get(url, headers={"Accept": "image/avif,image/webp,image/*,*/*;q=0.8"})
    jpeg_first = client.get(url, headers={"Accept": "image/jpeg,image/webp;q=0.5"})
    plain = client.get(url)

    assert _image(named).format == "WEBP" and "vary" not in named.headers
    assert _image(browser).format == "WEBP" and browser.headers["vary"] == "Accept"
    assert _image(jpeg_first).format == "JPEG"
    assert _image(plain).format == "JPEG"
    assert browser.headers["etag"] != plain.headers["etag"]


def test_an_image_is_made_once_and_revalidated_by_its_etag(client: TestClient) -> None:
    job = submit(client, samples.png(WORDS)).json()
    url = f"/v1/jobs/{job['id']}/pages/1/image"

    first = client.get(url)
    # Kept: served again even once the upload's bytes are no longer at hand.
    sha256 = client.get(f"/v1/documents/{job['document_id']}").json()["sha256"]
    _state(client).storage.delete(document_blob_key(sha256))
    again = client.get(url)
    not_modified = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    other_tag = client.get(url, headers={"If-None-Match": '"something-else"'})

    assert len(_images(client, job["id"])) == 1
    assert first.headers["cache-control"].startswith("private, max-age=")
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert not_modified.status_code == 304 and not not_modified.content
    assert not_modified.headers["etag"] == first.headers["etag"]
    assert other_tag.status_code == 200
    assert client.get(url, params={"max_side": 200}).status_code == 410  # not made before


def test_pages_that_do_not_exist_and_bad_sizes_are_problems(client: TestClient) -> None:
    job = submit(client, samples.png(WORDS)).json()
    url = f"/v1/jobs/{job['id']}/pages"

    assert_problem(client.get(f"{url}/0/image"), 404, "not-found")
    assert_problem(client.get(f"{url}/2/image"), 404, "not-found")
    assert_problem(client.get(f"{url}/99999999999999999999/image"), 404, "not-found")
    assert_problem(client.get(f"{url}/one/image"), 422)
    assert_problem(client.get(f"{url}/1/image", params={"max_side": 63}), 422)
    assert_problem(client.get(f"{url}/1/image", params={"max_side": 4097}), 422)
    assert_problem(client.get(f"{url}/1/image", params={"format": "gif"}), 422)
    assert_problem(client.get("/v1/jobs/job_nope/pages/1/image"), 404, "not-found")


def test_another_owners_job_has_no_page_images(client: TestClient) -> None:
    alice = bearer(make_user_key(client, "alice@example.com"))
    bob = bearer(make_user_key(client, "bob@example.com"))
    response = client.post("/v1/ocr", files={"file": ("a.png", samples.png(WORDS))}, headers=alice)
    url = f"/v1/jobs/{response.json()['id']}/pages/1/image"

    assert client.get(url, headers=alice).status_code == 200
    assert_problem(client.get(url, headers=bob), 404, "not-found")


def test_a_deleted_document_has_no_page_images(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(WORDS)).json()
    drain(worker)
    assert client.delete(f"/v1/documents/{job['document_id']}").status_code == 204

    response = client.get(f"/v1/jobs/{job['id']}/pages/1/image")

    assert_problem(response, 410, "document-gone")
    assert client.get(f"/v1/jobs/{job['id']}/result").status_code == 200


def test_deleting_a_job_deletes_its_page_images(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(WORDS)).json()
    drain(worker)
    assert client.get(f"/v1/jobs/{job['id']}/pages/1/image").status_code == 200
    assert _images(client, job["id"])

    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 204

    assert _images(client, job["id"]) == []


def test_retention_deletes_an_expired_jobs_page_images(client: TestClient, worker: Worker) -> None:
    job = submit(client, samples.png(WORDS)).json()
    drain(worker)
    assert client.get(f"/v1/jobs/{job['id']}/pages/1/image").status_code == 200
    state = _state(client)
    with state.db.write() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job["id"])
            .values(finished_at=utcnow() - timedelta(days=3))
        )

    report = cleanup(state.db, state.storage, older_than=timedelta(days=1), grace=timedelta(0))

    assert report.jobs == 1
    assert _images(client, job["id"]) == []


def test_openapi_describes_the_page_image(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/jobs/{job_id}/pages/{page}/image"]

    answer = operation["get"]["responses"]["200"]
    assert {"image/jpeg", "image/webp"} <= set(answer["content"])
    assert {"X-Image-Scale", "X-Page-Width", "X-Page-Height", "ETag"} <= set(answer["headers"])
    assert {p["name"] for p in operation["get"]["parameters"]} >= {"max_side", "format"}
