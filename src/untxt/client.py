"""A small Python client for the untxt HTTP API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

from untxt.errors import UntxtError

TERMINAL = frozenset({"completed", "failed", "cancelled"})
#: Event types after which a job has nothing more to say.
FINAL_EVENTS = frozenset({"job.completed", "job.failed", "job.cancelled"})
# Longest quiet on an event stream before it is taken for dead: the server sends a
# keep-alive every 15 s by default.
_READ_TIMEOUT = 60.0
_RECONNECTS = 5
_RECONNECT_DELAY = 1.0


class ApiError(UntxtError):
    """The server answered with a problem."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.body = problem
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")


class ServerUnreachableError(UntxtError):
    """The server could not be reached."""


class Client:
    """Talks to one untxt server."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        api_key: str | None = None,
    ) -> None:
        """``api_key`` authenticates every request (needed once the server has users)."""
        self._timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._http = httpx.Client(
            base_url=base_url, timeout=timeout, transport=transport, headers=headers
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachableError(f"cannot reach {self._http.base_url}: {exc}") from exc
        return self._check(response)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_error:
            try:
                body = response.json()
            except ValueError:
                body = {"title": response.reason_phrase, "detail": response.text[:500]}
            raise ApiError(response.status_code, body)
        return response

    def submit(
        self,
        path: Path,
        options: dict[str, Any] | None = None,
        *,
        wait: float | None = None,
        format: str = "json",
    ) -> dict[str, Any]:
        """Upload ``path`` and queue it for OCR; returns the job.

        With ``wait`` (seconds, at most 60) the server holds the answer until the job
        has finished, if it does in time: the job then has ``status`` completed (or
        failed, cancelled) and its ``result`` in ``format``; otherwise it is queued.
        """
        params = {"wait": wait, "format": format} if wait else None
        with path.open("rb") as handle:
            response = self._request(
                "POST",
                "/v1/ocr",
                params=params,
                files={"file": (path.name, handle)},
                data={"options": json.dumps(options or {})},
                # Room for the server's wait on top of the usual answer time.
                timeout=self._timeout + (wait or 0),
            )
        return response.json()  # type: ignore[no-any-return]

    def search(
        self, q: str, *, limit: int = 20, cursor: str | None = None, all: bool = False
    ) -> dict[str, Any]:
        """One page of hits for ``q``: ``items`` best first, and ``next_cursor``."""
        params: dict[str, Any] = {"q": q, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        if all:
            params["all"] = "true"
        return self._request("GET", "/v1/search", params=params).json()  # type: ignore[no-any-return]

    def ask(self, question: str, *, document_ids: list[str] | None = None) -> dict[str, Any]:
        """An answer to ``question`` from the caller's documents, with its citations."""
        body: dict[str, Any] = {"question": question}
        if document_ids:
            body["document_ids"] = document_ids
        return self._request("POST", "/v1/ask", json=body).json()  # type: ignore[no-any-return]

    def usage(
        self, *, since: str | None = None, until: str | None = None, all: bool = False
    ) -> dict[str, Any]:
        """Jobs, pages and bytes by owner and UTC day from ``since`` to ``until``
        (``YYYY-MM-DD``; default the last 30 days); ``all``: every owner's (admins)."""
        params: dict[str, Any] = {}
        if since:
            params["since"] = since
        if until:
            params["until"] = until
        if all:
            params["all"] = "true"
        return self._request("GET", "/v1/usage", params=params).json()  # type: ignore[no-any-return]

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's current state."""
        return self._request("GET", f"/v1/jobs/{job_id}").json()  # type: ignore[no-any-return]

    def wait(
        self,
        job_id: str,
        *,
        timeout: float = 600.0,
        interval: float = 0.5,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Follow the job until it is completed, failed or cancelled; returns the final job.

        The job's events stream in (Server-Sent Events), each handed to ``on_event``;
        a dropped stream is resumed after the last event seen. If the server cannot
        stream events, the job is polled every ``interval`` seconds instead.
        Raises :class:`TimeoutError` after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        last_event_id: int | None = None
        failures = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"job {job_id} not finished after {timeout}s")
            try:
                for event in self._stream(
                    f"/v1/jobs/{job_id}/events", last_event_id, min(remaining, _READ_TIMEOUT)
                ):
                    if event is None:  # a keep-alive
                        if time.monotonic() > deadline:
                            raise TimeoutError(f"job {job_id} not finished after {timeout}s")
                        continue
                    last_event_id = event["id"]
                    if on_event is not None:
                        on_event(event)
                    if event["type"] in FINAL_EVENTS:
                        return self.job(job_id)
            except httpx.ReadTimeout:
                continue  # quiet for longer than the deadline allows: look at it again
            except httpx.TransportError:
                failures += 1
                if failures > _RECONNECTS:
                    break  # streams keep breaking here: poll instead
                time.sleep(interval)
                continue
            except (httpx.HTTPError, ApiError, ValueError, KeyError):
                break  # no event stream here: poll instead
            # The stream ended without the final event: a server restarting, or a job
            # whose events have expired. Its state says which.
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            time.sleep(interval)
        return self._poll(job_id, deadline, timeout, interval)

    def _poll(
        self, job_id: str, deadline: float, timeout: float, interval: float
    ) -> dict[str, Any]:
        while True:
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout}s")
            time.sleep(interval)

    def events(
        self, job_id: str | None = None, *, last_event_id: int | None = None
    ) -> Generator[dict[str, Any], None, None]:
        """Job events as they happen: ``{"id", "type", "timestamp", "data"}`` each.

        With ``job_id``, that job's events from its first (or after
        ``last_event_id``), ending after its final event; without, every event of
        the caller's jobs from now (or after ``last_event_id``), without end. A
        dropped connection is resumed after the last event seen, so none is
        missed or repeated; :class:`ServerUnreachableError` once reconnecting fails
        a few times in a row.
        """
        url = f"/v1/jobs/{job_id}/events" if job_id is not None else "/v1/events"
        failures = 0
        while True:
            got = False
            try:
                for event in self._stream(url, last_event_id, _READ_TIMEOUT):
                    failures = 0
                    if event is None:
                        continue
                    got = True
                    last_event_id = event["id"]
                    yield event
                    if job_id is not None and event["type"] in FINAL_EVENTS:
                        return
            except httpx.TransportError as exc:
                failures += 1
                if failures > _RECONNECTS:
                    raise ServerUnreachableError(
                        f"lost the event stream of {self._http.base_url}: {exc}"
                    ) from exc
            else:
                if job_id is not None and not got:
                    return  # the job has ended, and its events have expired
            time.sleep(_RECONNECT_DELAY)

    def _stream(
        self, url: str, last_event_id: int | None, read_timeout: float
    ) -> Iterator[dict[str, Any] | None]:
        """One connection to an event stream: its events, ``None`` for each keep-alive."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        timeout = httpx.Timeout(self._timeout, read=read_timeout)
        with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.is_error:
                response.read()
                self._check(response)
            for message in _sse_messages(response.iter_lines()):
                if message is None:
                    yield None
                else:
                    event_id, data = message
                    yield {"id": int(event_id), **json.loads(data)}

    def result(self, job_id: str, format: str = "text") -> bytes:
        """The result of a completed job in ``format``."""
        return self._request("GET", f"/v1/jobs/{job_id}/result", params={"format": format}).content

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask the server to cancel the job."""
        return self._request("POST", f"/v1/jobs/{job_id}/cancel").json()  # type: ignore[no-any-return]


def _sse_messages(lines: Iterable[str]) -> Iterator[tuple[str, str] | None]:
    """Parse a ``text/event-stream``: ``(id, data)`` per event, ``None`` per comment."""
    event_id = ""
    data: list[str] = []
    for line in lines:
        if not line:
            if data and event_id:
                yield event_id, "\n".join(data)
            data = []
            continue
        if line.startswith(":"):
            yield None
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "id":
            event_id = value
