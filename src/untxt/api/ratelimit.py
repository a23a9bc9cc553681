"""Rate limits per credential and per client address, in memory or shared through Redis.

Requests under ``/v1`` fall into two policies: ``submit`` (the POSTs that create
documents or jobs) and ``read`` (everything else). Each request counts against its
policy once for the client address and, when it presents one, once for its
credential (a hash of the API key, bearer token or session cookie, so that no
secret is kept). Answers carry the IETF ``RateLimit-Policy`` and ``RateLimit``
headers; a request over a limit gets a 429 problem with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Literal

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from untxt.api.problems import problem
from untxt.auth.sessions import SESSION_COOKIE
from untxt.config import Settings
from untxt.logs import get_logger
from untxt.rate_notation import limits_redis_uri, parse_rate

log = get_logger(__name__)

Policy = Literal["submit", "read"]
#: The POST routes that create documents or jobs.
SUBMIT_PATHS = frozenset({"/v1/ocr", "/v1/jobs", "/v1/jobs/batch", "/v1/documents", "/v1/compare"})
# Header and cookie names that carry a credential; the value is hashed, never kept.
_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")
_KEY_PREFIX = "untxt-ratelimit"
# A Redis outage lets requests through (rate limits guard capacity, they are not
# authorisation); the warning is repeated at most this often.
_OUTAGE_LOG_SECONDS = 60.0


def policy_of(method: str, path: str) -> Policy | None:
    """The policy a request counts against; ``None`` outside ``/v1``."""
    if path != "/v1" and not path.startswith("/v1/"):
        return None
    if method == "POST" and path.rstrip("/") in SUBMIT_PATHS:
        return "submit"
    return "read"


def credential_digest(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """A stable, non-secret name for the credential a request presents, if any."""
    for name, value in headers:
        if name in _CREDENTIAL_HEADERS and value.strip():
            return hashlib.sha256(value.strip()).hexdigest()[:32]
    for name, value in headers:
        if name != b"cookie":
            continue
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(value.decode("latin-1"))
        except CookieError:
            continue
        session = cookies.get(SESSION_COOKIE)
        if session is not None and session.value:
            return hashlib.sha256(session.value.encode()).hexdigest()[:32]
    return None


def client_address(scope: Scope) -> str:
    """The socket peer: behind a proxy, uvicorn's ``--forwarded-allow-ips`` sets it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


@dataclass(frozen=True)
class Verdict:
    """The outcome of counting one request: allowed or not, and what is left."""

    allowed: bool
    policy: Policy
    limit: RateLimitItem
    remaining: int
    reset_in: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """``RateLimit-Policy`` and ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers)."""
        window = self.limit.get_expiry()
        return [
            (b"ratelimit-policy", f'"{self.policy}";q={self.limit.amount};w={window}'.encode()),
            (b"ratelimit", f'"{self.policy}";r={self.remaining};t={self.reset_in}'.encode()),
        ]


def open_limit_storage(redis_url: str | None) -> Storage:
    """Redis storage when a URL is given (shared by every API node), else in memory."""
    if not redis_url:
        return MemoryStorage()
    return RedisStorage(
        limits_redis_uri(redis_url),
        implementation="redispy",
        key_prefix=_KEY_PREFIX,
        wrap_exceptions=True,
    )


class RateLimiter:
    """Counts requests per policy and key with the sliding window counter strategy."""

    def __init__(
        self,
        *,
        submit: RateLimitItem | None,
        read: RateLimitItem | None,
        storage: Storage | None = None,
    ) -> None:
        self.limits: dict[Policy, RateLimitItem | None] = {"submit": submit, "read": read}
        self.storage = storage or MemoryStorage()
        self._strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._outage_logged = -math.inf

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        """The limits of ``settings``, stored in Redis when ``redis_url`` is set."""
        return cls(
            submit=parse_rate(settings.rate_limit_submit),
            read=parse_rate(settings.rate_limit_read),
            storage=open_limit_storage(settings.redis_url),
        )

    @property
    def enabled(self) -> bool:
        return any(item is not None for item in self.limits.values())

    async def check(self, policy: Policy, keys: list[str]) -> Verdict | None:
        """Count one request of ``policy`` against each of ``keys``; ``None`` when the
        policy is off or the store cannot be reached."""
        limit = self.limits[policy]
        if limit is None:
            return None
        try:
            return await self._check(policy, limit, keys)
        except Exception as exc:
            now = time.monotonic()
            if now - self._outage_logged >= _OUTAGE_LOG_SECONDS:
                self._outage_logged = now
                log.warning("rate limit store unavailable; not limiting", error=str(exc))
            return None

    async def _check(self, policy: Policy, limit: RateLimitItem, keys: list[str]) -> Verdict:
        counted = []
        allowed = True
        for key in keys:
            counted.append(key)
            if not await self._strategy.hit(limit, policy, key):
                allowed = False
                break
        stats = await asyncio.gather(
            *(self._strategy.get_window_stats(limit, policy, key) for key in counted)
        )
        if allowed:
            tightest = min(stats, key=lambda s: s.remaining)
            reset_in = max(0, math.ceil(tightest.reset_time - time.time()))
            return Verdict(True, policy, limit, tightest.remaining, reset_in)
        # The key that refused: when it frees up is when to come back.
        reset_in = max(1, math.ceil(stats[-1].reset_time - time.time()))
        return Verdict(False, policy, limit, 0, reset_in)


class RateLimitMiddleware:
    """ASGI middleware: counts every ``/v1`` request and answers 429 over a limit."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.limiter.enabled:
            await self.app(scope, receive, send)
            return
        # A WebSocket handshake is a GET.
        policy = policy_of(scope.get("method", "GET"), scope["path"])
        if policy is None:
            await self.app(scope, receive, send)
            return
        keys = []
        credential = credential_digest(scope["headers"])
        if credential is not None:
            keys.append(f"credential:{credential}")
        keys.append(f"ip:{client_address(scope)}")
        verdict = await self.limiter.check(policy, keys)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        if not verdict.allowed and scope["type"] == "websocket":
            await receive()  # websocket.connect
            # Refused before the handshake completes: the client sees the close code.
            await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
            return
        if not verdict.allowed:
            response = problem(
                429,
                f"too many {policy} requests: the limit is {verdict.limit.amount} per "
                f"{verdict.limit.get_expiry()} seconds; retry in {verdict.reset_in} seconds",
                slug="rate-limited",
                title="Too many requests",
            )
            response.headers["Retry-After"] = str(verdict.reset_in)
            for name, value in verdict.headers():
                response.headers[name.decode()] = value.decode()
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *verdict.headers()]
            await send(message)

        await self.app(scope, receive, send_with_headers)
