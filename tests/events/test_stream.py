"""Server-Sent Events on a real server on loopback: one job's stream, all jobs', resuming."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from tests import samples
from tests.auth_helpers import bearer, make_user_key
from tests.conftest import PG_URL, make_settings
from tests.events.live import Message, events_to_end, next_events, read_sse, serving, working
from tests.worker.helpers import wait_for
from untxt.app import create_app
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry
from untxt.queue.outbox import read_events, record_event
from untxt.worker import Worker

HEARTBEAT = 0.3


@pytest.fixture
def app(db_url: str, tmp_path: Path, engines: EngineRegistry) -> FastAPI:
    settings = make_settings(
        tmp_path / "data",
        database_url=db_url,
        event_heartbeat=HEARTBEAT,
        rate_limit_submit="off",
        rate_limit_read="off",
    )
    return create_app(settings, engines=engines)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def worker(app: FastAPI, engines: EngineRegistry) -> Worker:
    state = app.state.untxt
    return Worker(state.settings, db=state.db, storage=state.storage, engines=engines)


def submit(server: str, text: str, headers: dict[str, str] | None = None) -> str:
    response = httpx.post(
        f"{server}/v1/ocr",
        files={"file": ("scan.png", samples.png([text]))},
        data={"options": json.dumps({"engine": "tesseract", "outputs": ["text"]})},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


def cancel(server: str, job_id: str, headers: dict[str, str] | None = None) -> None:
    response = httpx.post(f"{server}/v1/jobs/{job_id}/cancel", headers=headers)
    assert response.status_code == 200, response.text


def stream(
    server: str, path: str, headers: dict[str, str] | None = None
) -> AbstractContextManager[httpx.Response]:
    return httpx.stream("GET", f"{server}{path}", headers=headers, timeout=30)


def test_job_stream_sends_the_jobs_events_in_order_and_ends_after_the_final_one(
    server: str, worker: Worker
) -> None:
    job_id = submit(server, "STREAM 7")

    with stream(server, f"/v1/jobs/{job_id}/events") as response, working(worker):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        messages = events_to_end(read_sse(response))  # returns only once the server ends the stream

    types = [m.type for m in messages]
    assert types[0] == "job.queued"
    assert "job.processing" in types
    assert types[-1] == "job.completed"
    assert types.count("job.completed") == 1
    ids = [m.id for m in messages]
    assert ids == sorted(set(ids))
    for message in messages:
        assert message.payload["type"] == message.type
        assert message.payload["data"]["job_id"] == job_id
    final = messages[-1].payload["data"]
    assert final["status"] == "completed"
    assert final["progress"] == {"pages_done": 1, "pages_total": 1}
    assert "text" in final["results"]


def test_a_client_connecting_after_the_job_ended_gets_its_whole_story(server: str) -> None:
    job_id = submit(server, "LATE")
    cancel(server, job_id)

    with stream(server, f"/v1/jobs/{job_id}/events") as response:
        messages = events_to_end(read_sse(response))

    assert [m.type for m in messages] == ["job.queued", "job.cancelled"]
    assert messages[-1].payload["data"]["status"] == "cancelled"


def test_job_stream_resumes_after_last_event_id(server: str) -> None:
    job_id = submit(server, "RESUME")
    cancel(server, job_id)
    with stream(server, f"/v1/jobs/{job_id}/events") as response:
        first, last = events_to_end(read_sse(response))

    with stream(
        server, f"/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(first.id)}
    ) as response:
        resumed = events_to_end(read_sse(response))

    assert [m.id for m in resumed] == [last.id]


def test_a_job_with_nothing_left_to_send_answers_no_content(server: str) -> None:
    """204 is how a server tells EventSource to stop reconnecting."""
    job_id = submit(server, "DONE")
    cancel(server, job_id)
    with stream(server, f"/v1/jobs/{job_id}/events") as response:
        final = events_to_end(read_sse(response))[-1]

    again = httpx.get(
        f"{server}/v1/jobs/{job_id}/events", headers={"Last-Event-ID": str(final.id)}, timeout=10
    )

    assert again.status_code == 204
    assert again.content == b""


def _read_until(
    lines: Iterator[Message | str], seen: list[Message], count: int, stop_after: int | None = None
) -> None:
    """Add events to ``seen`` until it holds ``count`` (or ``stop_after``)."""
    deadline = time.monotonic() + 30
    while len(seen) < count and (stop_after is None or len(seen) < stop_after):
        assert time.monotonic() < deadline, f"only {len(seen)} of {count} events came"
        message = next(lines)
        if isinstance(message, Message):
            seen.append(message)


def test_reconnecting_with_last_event_id_sees_every_event_once_in_order(
    app: FastAPI, server: str
) -> None:
    """Events keep coming while the client is away; after it comes back it has them all."""
    jobs = 12
    seen: list[Message] = []
    ready = threading.Event()

    def produce() -> None:
        ready.wait(30)
        for n in range(jobs):
            cancel(server, submit(server, f"JOB {n}"))
            time.sleep(0.02)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        with stream(server, "/v1/events") as response:
            lines = read_sse(response)
            assert next(lines) == ": ping"  # the stream is live: produce
            ready.set()
            _read_until(lines, seen, 2 * jobs, stop_after=5)
        time.sleep(0.3)  # more events commit while nobody listens
        with stream(server, "/v1/events", headers={"Last-Event-ID": str(seen[-1].id)}) as again:
            _read_until(read_sse(again), seen, 2 * jobs)
    finally:
        ready.set()
        producer.join(60)

    state = app.state.untxt
    with state.db.read() as session:
        expected = [row.id for row in read_events(session, owner="local", limit=1000)]
    assert [m.id for m in seen] == expected
    assert len(expected) == 2 * jobs
    for job_id in {m.payload["data"]["job_id"] for m in seen}:
        assert [m.type for m in seen if m.payload["data"]["job_id"] == job_id] == [
            "job.queued",
            "job.cancelled",
        ]


def test_the_stream_of_all_jobs_starts_from_now_and_keeps_alive(server: str) -> None:
    before = submit(server, "BEFORE")
    with stream(server, "/v1/events") as response:
        lines = read_sse(response)
        assert next(lines) == ": ping"
        started = time.monotonic()
        # Idle: keep-alives only, about one per heartbeat.
        assert next(lines) == ": ping"
        assert next(lines) == ": ping"
        assert time.monotonic() - started >= HEARTBEAT
        after = submit(server, "AFTER")
        (message,) = next_events(lines, 1)

    assert message.type == "job.queued"
    assert message.payload["data"]["job_id"] == after != before


def test_another_owners_job_is_not_found_before_streaming(app: FastAPI, server: str) -> None:
    alice = bearer(make_user_key(app, "alice@example.com"))
    bob = bearer(make_user_key(app, "bob@example.com"))
    bobs_job = submit(server, "BOB", headers=bob)

    response = httpx.get(f"{server}/v1/jobs/{bobs_job}/events", headers=alice, timeout=10)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert bobs_job in response.json()["detail"]
    assert httpx.get(f"{server}/v1/events", timeout=10).status_code == 401


def test_the_stream_of_all_jobs_carries_only_the_callers_events(app: FastAPI, server: str) -> None:
    alice = bearer(make_user_key(app, "alice@example.com"))
    bob = bearer(make_user_key(app, "bob@example.com"))

    with stream(server, "/v1/events", headers=alice) as response:
        lines = read_sse(response)
        assert next(lines) == ": ping"
        submit(server, "BOB", headers=bob)
        alices = submit(server, "ALICE", headers=alice)
        (message,) = next_events(lines, 1)

    assert message.payload["data"]["job_id"] == alices


def test_a_bad_last_event_id_is_refused(server: str) -> None:
    response = httpx.get(f"{server}/v1/events", headers={"Last-Event-ID": "soon"}, timeout=10)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_client_that_leaves_is_unsubscribed(app: FastAPI, server: str) -> None:
    hub = app.state.event_hub
    with stream(server, "/v1/events") as response:
        # Held while connected: a reader dropped at once would close the stream with it.
        reader = read_sse(response)
        assert next(reader) == ": ping"
        wait_for(lambda: hub.subscribers == 1, timeout=5)

    wait_for(lambda: hub.subscribers == 0, timeout=10)


def test_stopping_the_server_ends_open_streams(app: FastAPI) -> None:
    ended = threading.Event()
    opened = threading.Event()

    def listen(url: str) -> None:
        with stream(url, "/v1/events") as response:
            for line in read_sse(response):
                if line == ": ping":
                    opened.set()
        ended.set()

    with serving(app) as url:
        reader = threading.Thread(target=listen, args=(url,), daemon=True)
        reader.start()
        assert opened.wait(10)
    # serving() returned: the server stopped although a stream was open.
    assert ended.wait(10)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_events_committed_out_of_id_order_are_delivered_in_id_order(
    app: FastAPI, server: str
) -> None:
    """PostgreSQL hands out ids at insert: a later id can commit first. Nothing is skipped."""
    state = app.state.untxt
    first_job, second_job = submit(server, "ONE"), submit(server, "TWO")
    inserted, release = threading.Event(), threading.Event()

    def slow_commit() -> None:
        with state.db.write() as session:
            record_event(session, type="job.progress", job_id=first_job, now=utcnow())
            inserted.set()
            release.wait(30)

    with stream(server, "/v1/events") as response:
        lines = read_sse(response)
        assert next(lines) == ": ping"
        holder = threading.Thread(target=slow_commit)
        holder.start()
        assert inserted.wait(10)
        cancel(server, second_job)  # a higher id, committed at once
        time.sleep(1.0)
        release.set()  # now the lower id commits
        holder.join(10)
        received = next_events(lines, 2)

    assert [m.type for m in received] == ["job.progress", "job.cancelled"]
    assert received[0].id < received[1].id
    assert received[0].payload["data"]["job_id"] == first_job


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_streams_go_on_when_the_listening_connection_is_lost(app: FastAPI, server: str) -> None:
    hub = app.state.event_hub
    with stream(server, "/v1/events") as response:
        lines = read_sse(response)
        assert next(lines) == ": ping"
        wait_for(lambda: hub._listener is not None, timeout=10)
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            pid = hub._listener.info.backend_pid
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        job_id = submit(server, "AFTER THE LOSS")
        (message,) = next_events(lines, 1)

    assert message.payload["data"]["job_id"] == job_id
