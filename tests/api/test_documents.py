"""``/v1/documents``: upload, dedupe by content, list, download, soft delete."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from tests import samples
from tests.api.helpers import assert_problem, submit


def upload(client: TestClient, data: bytes, filename: str = "a.png") -> dict[str, object]:
    response = client.post("/v1/documents", files={"file": (filename, data)})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/documents/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


def test_upload_describes_the_document(client: TestClient) -> None:
    data = samples.pdf([["ONE"], ["TWO"]])

    document = upload(client, data, "../../etc/two pages.pdf")

    assert document["media_type"] == "application/pdf"
    assert document["pages"] == 2
    assert document["size"] == len(data)
    assert document["sha256"] == hashlib.sha256(data).hexdigest()
    assert document["filename"] == "two pages.pdf"


def test_same_file_uploaded_twice_is_one_document(client: TestClient) -> None:
    data = samples.png(["SAME"])

    first = upload(client, data, "first.png")
    second = upload(client, data, "second.png")
    via_ocr = submit(client, data).json()

    assert second["id"] == first["id"]
    assert via_ocr["document_id"] == first["id"]
    assert len(client.get("/v1/documents").json()["items"]) == 1


def test_different_files_are_different_documents(client: TestClient) -> None:
    assert upload(client, samples.png(["A"]))["id"] != upload(client, samples.png(["B"]))["id"]


def test_content_returns_the_uploaded_bytes(client: TestClient) -> None:
    data = samples.encode(samples.text_image(["JPEG"]), "JPEG")
    document = upload(client, data, "photo.jpg")

    response = client.get(f"/v1/documents/{document['id']}/content")

    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"


def test_documents_list_pages_with_a_cursor_newest_first(client: TestClient) -> None:
    ids = [upload(client, samples.png([f"DOC {i}"]))["id"] for i in range(5)]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/documents", params=params).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(ids))


def test_deleted_document_is_hidden_but_its_jobs_remain(client: TestClient) -> None:
    job = submit(client, samples.png(["KEEP JOB"])).json()
    document_id = job["document_id"]

    assert client.delete(f"/v1/documents/{document_id}").status_code == 204

    assert_problem(client.get(f"/v1/documents/{document_id}"), 404)
    assert client.get("/v1/documents").json()["items"] == []
    assert client.get(f"/v1/jobs/{job['id']}").status_code == 200
    refused = client.post("/v1/jobs", json={"document_id": document_id})
    assert_problem(refused, 404)


def test_deleted_document_comes_back_when_uploaded_again(client: TestClient) -> None:
    data = samples.png(["AGAIN"])
    document = upload(client, data)
    client.delete(f"/v1/documents/{document['id']}")

    again = upload(client, data)

    assert again["id"] == document["id"]
    assert client.get(f"/v1/documents/{document['id']}").status_code == 200
