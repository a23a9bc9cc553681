"""How soon a client learns that a job completed: SSE, a webhook, or polling every second.

A fresh ``untxt serve --workers 0`` runs on loopback (SQLite, then PostgreSQL).
This process is the worker: it completes one-page jobs through the queue's own
statements (claim the page; record it and complete the job in one transaction,
as a worker does, with no OCR), one at a time, and notes the moment each
completion commits. Measured from that moment, in the same run:

- sse: a client following ``GET /v1/events`` receives the job's ``job.completed``;
- webhook: a receiver on loopback, subscribed with ``POST /v1/webhooks``, gets it;
- poll 1 s: a client polling ``GET /v1/jobs/{id}`` every second (each job's polls
  start at a random phase) sees ``completed``.

    python bench/events.py [--jobs 500] [--backends sqlite,postgres] [--gap 0.05]
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from common import database, percentile, report, running_server
from untxt.db import Database, upgrade
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.options import JobOptions
from untxt.queue import claim, complete_only_page, enqueue_job

OWNER = "local"  # single-user mode: the server's clients are this owner
POLL_EVERY = 1.0


class Receipts:
    """When each job's completion reached one path, by job id (first arrival only)."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, job_id: str, when: float) -> None:
        with self._lock:
            self.at.setdefault(job_id, when)


@contextmanager
def webhook_receiver(receipts: Receipts) -> Iterator[str]:
    """An HTTP server on loopback that notes each ``job.completed`` delivery."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived = time.time()
            self.send_response(204)
            self.end_headers()
            payload = json.loads(body)
            if payload.get("type") == "job.completed":
                receipts.note(payload["data"]["job_id"], arrived)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def follow_sse(base: str, receipts: Receipts, live: threading.Event, stop: threading.Event) -> None:
    """Follow ``GET /v1/events``; note each ``job.completed`` as it arrives."""
    with httpx.stream("GET", f"{base}/v1/events", timeout=httpx.Timeout(10, read=None)) as stream:
        kind = ""
        for line in stream.iter_lines():
            if line.startswith(":"):
                live.set()
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "job.completed":
                receipts.note(json.loads(line[6:])["data"]["job_id"], time.time())
            if stop.is_set():
                return


class Poller:
    """Polls each registered job every second, from a random phase, until it is done."""

    def __init__(self, base: str, receipts: Receipts) -> None:
        self._client = httpx.Client(base_url=base, timeout=10)
        self._receipts = receipts
        self._due: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def add(self, job_id: str) -> None:
        with self._lock:
            heapq.heappush(self._due, (time.time() + random.random() * POLL_EVERY, job_id))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                due = self._due[0] if self._due else None
            if due is None or due[0] > time.time():
                time.sleep(0.002)
                continue
            with self._lock:
                _, job_id = heapq.heappop(self._due)
            job = self._client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] == "completed":
                self._receipts.note(job_id, time.time())
            else:
                with self._lock:
                    heapq.heappush(self._due, (due[0] + POLL_EVERY, job_id))


def make_document(db: Database) -> DocumentRow:
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=OWNER,
            sha256=uuid.uuid4().hex * 2,
            filename="page.png",
            media_type="image/png",
            size=1,
            pages=1,
            now=utcnow(),
        )
    return document


def run_backend(backend: str, jobs: int, gap: float) -> dict[str, Any]:
    paths = {"sse": Receipts(), "webhook": Receipts(), "poll 1 s": Receipts()}
    committed: dict[str, float] = {}
    with (
        database(backend) as url,
        running_server(0, UNTXT_DATABASE_URL=url, UNTXT_WEBHOOK_ALLOWED_HOSTS="127.0.0.1") as base,
    ):
        db = Database(url)
        upgrade(db)
        document = make_document(db)
        with webhook_receiver(paths["webhook"]) as hook:
            created = httpx.post(
                f"{base}/v1/webhooks", json={"url": hook, "events": ["job.completed"]}, timeout=10
            )
            created.raise_for_status()
            live, stop = threading.Event(), threading.Event()
            sse = threading.Thread(
                target=follow_sse, args=(base, paths["sse"], live, stop), daemon=True
            )
            sse.start()
            if not live.wait(30):
                raise RuntimeError("the event stream did not open")
            poller = Poller(base, paths["poll 1 s"])
            options = JobOptions(outputs=["json"], no_cache=True)
            for _ in range(jobs):
                with db.write() as session:
                    job = enqueue_job(
                        session,
                        owner=OWNER,
                        document=document,
                        options=options,
                        max_attempts=3,
                        now=utcnow(),
                    )
                poller.add(job.id)
                time.sleep(gap)
                with db.write() as session:
                    lease = claim(session, owner="bench", ttl=30, now=utcnow())
                    assert lease is not None and lease.job_id == job.id
                    complete_only_page(session, lease, results=[], now=utcnow())
                committed[job.id] = time.time()  # the transaction has committed
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and any(len(r.at) < jobs for r in paths.values()):
                time.sleep(0.1)
            stop.set()
            poller.stop()
        db.dispose()
    figures: dict[str, Any] = {}
    for name, receipts in paths.items():
        latencies = [max(0.0, receipts.at[j] - committed[j]) for j in committed if j in receipts.at]
        figures[name] = {
            "received": len(latencies),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p90_ms": percentile(latencies, 90) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "max_ms": max(latencies) * 1000 if latencies else float("nan"),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--gap", type=float, default=0.05, help="seconds between a job's queueing and completion"
    )
    args = parser.parse_args()

    results: dict[str, dict[str, Any]] = {}
    rows = []
    for backend in args.backends.split(","):
        results[backend] = run_backend(backend, args.jobs, args.gap)
        for path, figures in results[backend].items():
            rows.append([backend, path, *figures.values()])
    report(
        "events",
        f"completion commit to client: {args.jobs} one-page no-OCR jobs, one at a time",
        ["database", "path", "received", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        rows,
        {"jobs": args.jobs, "gap_s": args.gap, "poll_every_s": POLL_EVERY, "results": results},
    )


if __name__ == "__main__":
    main()
