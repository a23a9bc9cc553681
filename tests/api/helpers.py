"""Helpers for API tests."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

PROBLEM = "application/problem+json"


def submit(
    client: TestClient,
    data: bytes,
    *,
    filename: str = "scan.png",
    options: dict[str, Any] | str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    form = {}
    if options is not None:
        form["options"] = options if isinstance(options, str) else json.dumps(options)
    return client.post("/v1/ocr", files={"file": (filename, data)}, data=form, headers=headers)


def upload(client: TestClient, data: bytes, filename: str = "doc.png") -> str:
    """Upload a document; returns its id."""
    response = client.post("/v1/documents", files={"file": (filename, data)})
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


def assert_problem(response: Response, status: int, slug: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is an RFC 9457 problem with ``status`` and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if slug:
        assert body["type"] == f"/problems/{slug}"
    return body
