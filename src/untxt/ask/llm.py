"""A client of any OpenAI-compatible chat-completions server: vLLM, Ollama, llama.cpp, hosted.

The answer is streamed (``"stream": true``, server-sent events of deltas). Opening the
stream is retried on 429 and 5xx answers and on connection failures, with exponential
backoff (a ``Retry-After`` the server sends is honoured, up to a cap); once text has
begun to flow nothing is retried, since the client has already been shown part of it.
Every failure ends as :class:`LLMUnavailableError`, in words an operator can act on.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from untxt.errors import LLMUnavailableError

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_BACKOFF = 0.5
_MAX_RETRY_AFTER = 10.0


@dataclass(frozen=True)
class ModelSettings:
    """Where the model server is, which model, the key, and how long to wait for it."""

    url: str
    model: str
    api_key: str | None = None
    timeout: float = 60.0
    retries: int = 2

    @property
    def endpoint(self) -> str:
        """The chat-completions address: ``url`` is the API's base (``.../v1``)."""
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def _retry_after(response: httpx.Response, attempt: int) -> float:
    header = response.headers.get("retry-after", "")
    try:
        return min(max(float(header), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return _backoff(attempt)


def _backoff(attempt: int) -> float:
    return float(_BACKOFF * 2**attempt * random.uniform(0.8, 1.2))


class ChatStream:
    """An open answer: iterate for its pieces of text; closed when done or abandoned."""

    def __init__(self, client: httpx.AsyncClient, response: httpx.Response, model: str) -> None:
        self._client = client
        self._response = response
        self.model = model

    async def __aiter__(self) -> AsyncIterator[str]:
        try:
            if "json" in self._response.headers.get("content-type", ""):
                # A server that ignores "stream": the whole answer in one body.
                body = json.loads(await self._response.aread())
                yield _message_text(body)
                return
            async for line in self._response.aiter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                piece = _delta_text(json.loads(payload))
                if piece:
                    yield piece
        except (httpx.HTTPError, json.JSONDecodeError, KeyError, IndexError, TypeError) as error:
            raise LLMUnavailableError(
                f"the language model's answer broke off: {error.__class__.__name__}: {error}"
            ) from error
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        await self._response.aclose()
        await self._client.aclose()


def _delta_text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or []
    if not choices:
        return ""
    return str((choices[0].get("delta") or {}).get("content") or "")


def _message_text(body: dict[str, Any]) -> str:
    return str(body["choices"][0]["message"]["content"] or "")


async def open_chat(
    settings: ModelSettings,
    messages: list[dict[str, str]],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ChatStream:
    """Send ``messages`` and return the answer's stream once the server has accepted them."""
    headers = {"accept": "text/event-stream"}
    if settings.api_key:
        headers["authorization"] = f"Bearer {settings.api_key}"
    body = {"model": settings.model, "messages": messages, "stream": True, "temperature": 0}
    timeout = httpx.Timeout(settings.timeout, connect=min(settings.timeout, 5.0))
    reason = ""
    for attempt in range(settings.retries + 1):
        client = httpx.AsyncClient(timeout=timeout, transport=transport)
        wait = _backoff(attempt)
        try:
            request = client.build_request("POST", settings.endpoint, json=body, headers=headers)
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            await client.aclose()
            reason = f"no answer within {settings.timeout:g} s"
        except httpx.HTTPError as error:
            await client.aclose()
            reason = f"cannot reach it ({error.__class__.__name__}: {error})"
        else:
            if response.status_code < 300:
                return ChatStream(client, response, settings.model)
            detail = (await response.aread())[:300].decode("utf-8", "replace")
            await response.aclose()
            await client.aclose()
            reason = f"it answered {response.status_code}: {detail}".rstrip(": ")
            if response.status_code not in _RETRY_STATUSES:
                break
            wait = _retry_after(response, attempt)
        if attempt < settings.retries:
            await asyncio.sleep(wait)
    raise LLMUnavailableError(
        f"the language model server at {settings.endpoint} is not available: {reason}"
    )
