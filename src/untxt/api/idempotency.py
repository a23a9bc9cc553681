"""The ``Idempotency-Key`` header: a repeated submit gets the first answer, not a second job."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from untxt.db.types import utcnow
from untxt.errors import IdempotencyKeyReusedError, InvalidIdempotencyKeyError
from untxt.queue.idempotency import claim_key, store_answer

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: Set on an answer replayed for a repeated key.
REPLAYED_HEADER = "Idempotent-Replayed"

# The header is read by hand rather than declared as a FastAPI ``Header``, which
# would validate it on every submit; the routes document it with this instead.
OPENAPI = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "description": (
                "Any unique string (a UUID, say). A repeated submit with the same key gets "
                "the first answer and creates nothing; see README.md."
            ),
        }
    ]
}


def _printable(value: str) -> bool:
    return all(" " <= char <= "~" for char in value)


@dataclass(frozen=True)
class IdempotencyKey:
    """The ``Idempotency-Key`` of a request, and the request's method and path."""

    value: str
    method: str
    path: str

    def bind(self, payload: Any) -> BoundKey:
        """The key tied to what the request asks: its method, path and ``payload`` (JSON data).

        ``payload`` is the validated request (options with their defaults, files by
        SHA-256), so requests that differ only in spelling are the same request.
        """
        text = json.dumps([self.method, self.path, payload], sort_keys=True, separators=(",", ":"))
        return BoundKey(self.value, hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class BoundKey:
    """An ``Idempotency-Key`` and the fingerprint of the request that carries it."""

    key: str
    fingerprint: str

    def replay(self, session: Session, *, owner: str, ttl: float) -> Response | None:
        """Claim the key in ``session``'s transaction, or the stored answer to send again.

        ``None``: the key is new (or expired); create, then :meth:`remember`.
        """
        now = utcnow()
        stored = claim_key(
            session,
            owner=owner,
            key=self.key,
            fingerprint=self.fingerprint,
            now=now,
            expired_before=now - timedelta(seconds=ttl),
        )
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint:
            raise IdempotencyKeyReusedError(
                f"the Idempotency-Key {self.key!r} was used for a different request; "
                "use a new key for a new request"
            )
        headers = {REPLAYED_HEADER: "true"}
        if stored.location:
            headers["Location"] = stored.location
        return Response(
            stored.body,
            status_code=stored.status_code,
            media_type="application/json",
            headers=headers,
        )

    def remember(self, session: Session, *, owner: str, response: Response) -> None:
        """Store ``response`` with the key, in the transaction that claimed it."""
        store_answer(
            session,
            owner=owner,
            key=self.key,
            status_code=response.status_code,
            body=bytes(response.body).decode(),
            location=response.headers.get("location"),
        )


async def get_idempotency_key(request: Request) -> IdempotencyKey | None:
    """The request's ``Idempotency-Key``; 400 when it is empty, too long or not printable."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not _printable(value):
        raise InvalidIdempotencyKeyError(
            f"the {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
        )
    return IdempotencyKey(value, request.method, request.url.path)


IdempotencyKeyDep = Annotated[IdempotencyKey | None, Depends(get_idempotency_key)]
