"""Download links the API signs itself, for results no store can presign.

A local folder cannot hand out URLs, and a JSON result with extracted fields is
assembled on its way out, so the API signs a link of its own: an HS256 token (a
JWT) naming the job, its owner and the format, and when it expires. The key is
derived from the server's secret (``UNTXT_SECRET_KEY`` or the generated one every
node shares), never the secret itself, so that a link and a session token can
never pass for each other. Checking it is constant-time (PyJWT compares with
:func:`hmac.compare_digest`); a changed character or an expired link is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from untxt.errors import UntxtError

_ALGORITHM = "HS256"
_AUDIENCE = "untxt-download"
_KEY_LABEL = b"untxt download link v1"


class LinkError(UntxtError):
    """A download link that was changed, or was never signed by this server (HTTP 403)."""

    status = 403
    problem = "link-invalid"
    title = "Download link not valid"
    permanent = True


class LinkExpiredError(LinkError):
    """A download link signed by this server whose time is up (HTTP 403)."""

    problem = "link-expired"
    title = "Download link expired"


@dataclass(frozen=True)
class LinkClaims:
    """What a valid link names: whose job, which result, until when."""

    job_id: str
    owner: str
    format: str
    expires_at: datetime


def link_key(secret: str) -> bytes:
    """The key links are signed with, derived from the server's ``secret``."""
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def issue_link(
    *, key: bytes, job_id: str, owner: str, format: str, now: datetime, ttl: timedelta
) -> tuple[str, datetime]:
    """A token for ``owner``'s job's result in ``format``, and when it expires."""
    # Whole seconds, as the token states it.
    expires_at = (now + ttl).replace(microsecond=0)
    token = jwt.encode(
        {
            "sub": job_id,
            "own": owner,
            "fmt": format,
            "aud": _AUDIENCE,
            "exp": int(expires_at.timestamp()),
        },
        key,
        algorithm=_ALGORITHM,
    )
    return token, expires_at


def read_link(token: str, *, key: bytes) -> LinkClaims:
    """The claims of a valid, unexpired token; raises :class:`LinkError` for a changed or
    foreign one (checked first), :class:`LinkExpiredError` for one past its time."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["sub", "own", "fmt", "aud", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise LinkExpiredError("this download link has expired; ask for a new one") from None
    except jwt.PyJWTError:
        raise LinkError(
            "this download link is not valid: it was changed or not made here"
        ) from None
    job_id, owner, format = payload["sub"], payload["own"], payload["fmt"]
    if not all(isinstance(value, str) for value in (job_id, owner, format)):
        raise LinkError("this download link is not valid: it was changed or not made here")
    return LinkClaims(
        job_id=job_id,
        owner=owner,
        format=format,
        expires_at=datetime.fromtimestamp(int(payload["exp"]), tz=UTC),
    )
