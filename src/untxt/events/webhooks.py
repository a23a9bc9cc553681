"""Sending one webhook: Standard Webhooks signing, the checked connection, the answer.

Each delivery is a ``POST`` of the event's JSON with the three headers of the
Standard Webhooks specification: ``webhook-id`` (the same on every attempt of an
event to an endpoint), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``{id}.{timestamp}.{body}`` under the endpoint's ``whsec_`` secret).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from untxt.errors import UnsafeWebhookURLError
from untxt.events.ssrf import CheckedURL, check_url
from untxt.version import __version__

SECRET_PREFIX = "whsec_"
#: Longest wait a ``Retry-After`` may ask for; a longer one is cut to this.
MAX_RETRY_AFTER_S = 86400.0
# Enough HTTP clients for the endpoints in use at once; more are closed and rebuilt.
_MAX_CLIENTS = 256
_MAX_BODY_READ = 64 * 1024


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes, base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def encode_body(payload: dict[str, Any]) -> bytes:
    """The bytes sent (and signed) for an event payload."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, *, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` sent at ``now``."""
    timestamp = now.astimezone(UTC)
    signature = Webhook(secret).sign(message_id, timestamp, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds asked by a ``Retry-After`` header (seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value) if value.isdigit() else None
        if seconds is None:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


@dataclass(frozen=True)
class Answer:
    """What an endpoint did with one request."""

    duration_ms: int
    status_code: int | None = None
    retry_after: float | None = None
    error: str | None = None


class Sender:
    """Sends signed webhooks, connecting only to addresses checked just before."""

    def __init__(self, *, timeout: float, allowed_hosts: frozenset[str]) -> None:
        self._timeout = timeout
        self._allowed = allowed_hosts
        # One client (connection pool) per endpoint host: a pool is keyed by the
        # address connected to, and two hosts on one address need their own TLS names.
        self._clients: dict[tuple[str, str, int], httpx.Client] = {}
        self._lock = threading.Lock()

    def send(self, url: str, *, body: bytes, secret: str, message_id: str, now: datetime) -> Answer:
        """POST ``body`` to ``url`` signed with ``secret``; never raises for the endpoint's
        faults."""
        started = time.monotonic()
        try:
            checked = check_url(url, allowed=self._allowed)
        except UnsafeWebhookURLError as exc:
            return Answer(duration_ms=_ms_since(started), error=f"refused: {exc}")
        headers = {
            "content-type": "application/json",
            "user-agent": f"untxt/{__version__}",
            **signed_headers(secret, message_id=message_id, body=body, now=now),
        }
        error = "no address to connect to"
        for address in checked.addresses:
            try:
                response = self._request(checked, address, body=body, headers=headers)
            except httpx.TimeoutException:
                error = f"timed out after {self._timeout:g} s"
                break  # the endpoint was reached, or is down: another address would wait too
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            return Answer(
                duration_ms=_ms_since(started),
                status_code=response.status_code,
                retry_after=parse_retry_after(response.headers.get("retry-after"), now=now),
            )
        return Answer(duration_ms=_ms_since(started), error=error)

    def _request(
        self, checked: CheckedURL, address: str, *, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        parts = urlsplit(checked.url)
        ip_host = f"[{address}]" if ":" in address else address
        target = urlunsplit(
            (checked.scheme, f"{ip_host}:{checked.port}", parts.path or "/", parts.query, "")
        )
        host_header = parts.netloc.rsplit("@", 1)[-1]
        request_headers = {**headers, "host": host_header}
        auth = None
        if parts.username is not None:
            auth = httpx.BasicAuth(parts.username, parts.password or "")
        client = self._client(checked)
        request = client.build_request(
            "POST",
            target,
            content=body,
            headers=request_headers,
            extensions={"sni_hostname": checked.host},
        )
        if auth is not None:
            request = next(auth.auth_flow(request))
        response = client.send(request, stream=True)
        try:
            # The status and headers are all a delivery needs; a short body is read so
            # that the connection can serve the next delivery, a long one is cut off.
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > _MAX_BODY_READ:
                    break
        finally:
            response.close()
        return response

    def _client(self, checked: CheckedURL) -> httpx.Client:
        key = (checked.scheme, checked.host, checked.port)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                if len(self._clients) >= _MAX_CLIENTS:
                    for old in self._clients.values():
                        old.close()
                    self._clients.clear()
                client = httpx.Client(
                    timeout=self._timeout, follow_redirects=False, trust_env=False
                )
                self._clients[key] = client
            return client

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
