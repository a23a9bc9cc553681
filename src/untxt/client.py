"""A small Python client for the untxt HTTP API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from untxt.errors import UntxtError

TERMINAL = frozenset({"completed", "failed", "cancelled"})


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
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

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

    def submit(self, path: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Upload ``path`` and queue it for OCR; returns the job."""
        with path.open("rb") as handle:
            response = self._request(
                "POST",
                "/v1/ocr",
                files={"file": (path.name, handle)},
                data={"options": json.dumps(options or {})},
            )
        return response.json()  # type: ignore[no-any-return]

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's current state."""
        return self._request("GET", f"/v1/jobs/{job_id}").json()  # type: ignore[no-any-return]

    def wait(self, job_id: str, *, timeout: float = 600.0, interval: float = 0.5) -> dict[str, Any]:
        """Poll until the job is completed, failed or cancelled."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout}s")
            time.sleep(interval)

    def result(self, job_id: str, format: str = "text") -> bytes:
        """The result of a completed job in ``format``."""
        return self._request("GET", f"/v1/jobs/{job_id}/result", params={"format": format}).content

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask the server to cancel the job."""
        return self._request("POST", f"/v1/jobs/{job_id}/cancel").json()  # type: ignore[no-any-return]
