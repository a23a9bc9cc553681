"""Refuse over-size request bodies before they are read into memory."""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from untxt.api.problems import problem
from untxt.errors import UntxtError

# Room for the multipart envelope and the options field around the file itself.
_ENVELOPE_BYTES = 64 * 1024


class PayloadTooLargeError(UntxtError, HTTPException):
    """A request body that grew past the upload limit while it streamed in.

    An HTTPException too: FastAPI lets only those out of its body parsing as they are
    (any other error there becomes a 400), and the app's handlers render it as an
    UntxtError, the first of its bases.
    """

    status = 413
    problem = "payload-too-large"
    title = HTTPStatus(413).phrase
    permanent = True

    def __init__(self, detail: str) -> None:
        HTTPException.__init__(self, self.status, detail)
        self.extra = {}

    def __str__(self) -> str:
        return str(self.detail)


class BodySizeLimit:
    """ASGI middleware: 413 for bodies over the upload limit, declared or streamed."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body = max_upload_bytes + _ENVELOPE_BYTES
        self.max_upload_bytes = max_upload_bytes

    @property
    def _detail(self) -> str:
        return f"the upload exceeds the limit of {self.max_upload_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                await problem(413, self._detail)(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    # Raised inside the endpoint's body parsing, so the app's handlers render it.
                    raise PayloadTooLargeError(self._detail)
            return message

        await self.app(scope, limited_receive, send)
