"""Routes with a fast path, and ``POST /v1/ocr``'s: the requests it answers itself, and
that every answer is the one FastAPI's handler of the endpoint gives."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, File, Form, Request, Response, UploadFile
from fastapi.testclient import TestClient
from PIL import Image

from untxt.api.deps import get_state
from untxt.api.fast_route import fast_path_route, is_multipart, read_form
from untxt.api.routers import jobs


def _png(color: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), color).save(buffer, "PNG")
    return buffer.getvalue()


class _Seen:
    """What the fast path and the endpoint of the test route saw."""

    def __init__(self) -> None:
        self.fast: list[str] = []
        self.endpoint: list[bytes] = []
        self.files: list[Any] = []


def _client(answer: bool, seen: _Seen) -> TestClient:
    """An app of one route ``POST /echo`` with a fast path that answers every
    multipart request (``answer``) or reads the form and declines it."""

    async def fast(request: Request) -> Response | None:
        seen.fast.append(request.url.path)
        if not is_multipart(request):
            return None
        form = await read_form(request)
        seen.files.append(form.get("file"))
        return Response(b"fast") if answer else None

    async def echo(
        file: Annotated[UploadFile, File()], note: Annotated[str | None, Form()] = None
    ) -> Response:
        data = await file.read()
        seen.endpoint.append(data)
        seen.files.append(file)
        return Response(data + (note or "").encode())

    router = APIRouter()
    router.add_api_route(
        "/echo", echo, methods=["POST"], route_class_override=fast_path_route(fast)
    )
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_a_request_the_fast_path_answers_never_reaches_the_endpoint() -> None:
    seen = _Seen()
    with _client(True, seen) as client:
        response = client.post("/echo", files={"file": ("a.bin", b"bytes")})

    assert response.text == "fast"
    assert seen.fast == ["/echo"]
    assert seen.endpoint == []


def test_a_declined_request_reaches_the_endpoint_with_the_form_already_read() -> None:
    seen = _Seen()
    with _client(False, seen) as client:
        response = client.post("/echo", files={"file": ("a.bin", b"bytes")}, data={"note": "!"})

    assert response.text == "bytes!"
    assert seen.fast == ["/echo"]
    assert seen.endpoint == [b"bytes"]
    # The endpoint got the very upload the fast path parsed: the body was read once.
    assert seen.files[0] is seen.files[1]


def test_the_files_of_a_form_read_on_the_fast_path_are_closed_once_answered() -> None:
    seen = _Seen()
    with _client(True, seen) as client:
        client.post("/echo", files={"file": ("a.bin", b"bytes")})

    (upload,) = seen.files
    assert upload.file.closed


def test_dependency_overrides_leave_every_request_to_the_endpoint() -> None:
    seen = _Seen()
    with _client(True, seen) as client:
        client.app.dependency_overrides[get_state] = get_state  # type: ignore[attr-defined]
        response = client.post("/echo", files={"file": ("a.bin", b"bytes")})

    assert response.text == "bytes"
    assert seen.fast == []


def test_a_form_that_cannot_be_parsed_is_the_400_fastapi_gives() -> None:
    answers = []
    for overridden in (False, True):
        seen = _Seen()
        with _client(True, seen) as client:
            if overridden:
                client.app.dependency_overrides[get_state] = get_state  # type: ignore[attr-defined]
            response = client.post(
                "/echo", content=b"--x", headers={"content-type": "multipart/form-data"}
            )
        answers.append((response.status_code, response.json()))
        assert seen.endpoint == []

    assert answers[0] == answers[1]
    assert answers[0][0] == 400


PNG = _png()

# Requests to POST /v1/ocr: (query, files, form fields, headers).
REQUESTS: list[tuple[str, Any, dict[str, str], dict[str, str]]] = [
    ("", {"file": ("a.png", PNG, "image/png")}, {}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {"options": '{"languages": ["eng"]}'}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {"options": ""}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {"options": "{not json"}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {"options": '{"languages": ["xx"]}'}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {"options": "{}", "extra": "1"}, {}),
    ("", {"file": ("a.png", PNG), "options": ("o.json", b"{}", "application/json")}, {}, {}),
    ("", [("file", ("a.png", PNG)), ("file", ("b.png", _png("black")))], {}, {}),
    ("", {"file": ("a.png", b"not an image", "image/png")}, {}, {}),
    ("", None, {"file": "text, not a file"}, {}),
    ("", None, {"options": "{}"}, {}),
    ("", {"file": ("a.png", PNG, "image/png")}, {}, {"Idempotency-Key": "\x01"}),
    ("", {"file": ("a.png", PNG, "image/png")}, {}, {"Idempotency-Key": "same"}),
    ("wait=abc", {"file": ("a.png", PNG, "image/png")}, {}, {}),
    ("wait=1&format=nope", {"file": ("a.png", PNG, "image/png")}, {}, {}),
]
# What differs between two equal submits: ids, times, and the links made of them.
_VARYING = {"id", "document_id", "created_at", "updated_at", "links", "queue_position"}


def _answers(client: TestClient) -> Iterator[tuple[int, Any]]:
    for query, files, data, headers in REQUESTS:
        response = client.post(f"/v1/ocr?{query}", files=files, data=data, headers=headers)
        body = response.json()
        if isinstance(body, dict):
            body = {key: value for key, value in body.items() if key not in _VARYING}
        yield response.status_code, body


def test_every_submit_gets_the_answer_fastapis_handler_gives(client: TestClient) -> None:
    fast = list(_answers(client))
    # Any dependency override sends each request to FastAPI's handler of the endpoint.
    client.app.dependency_overrides[get_state] = get_state  # type: ignore[attr-defined]
    solved = list(_answers(client))

    assert fast == solved
    assert [status for status, _ in fast] == [
        202,
        202,
        202,
        422,
        422,
        202,
        422,
        202,
        415,
        422,
        422,
        400,
        202,
        422,
        422,
    ]


def test_a_plain_submit_takes_the_fast_path(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms: list[Any] = []

    async def counted(request: Request) -> Any:
        forms.append(request.url.path)
        return await read_form(request)

    monkeypatch.setattr(jobs, "read_form", counted)
    response = client.post("/v1/ocr", files={"file": ("a.png", PNG, "image/png")})

    assert response.status_code == 202
    assert forms == ["/v1/ocr"]
