"""``WS /v1/ws`` on a real server on loopback, through the ``websockets`` client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.auth_helpers import make_user_key
from tests.conftest import make_settings
from tests.events.live import serving, working
from tests.events.test_stream import cancel, submit
from untxt.app import create_app
from untxt.engines import EngineRegistry
from untxt.worker import Worker

HEARTBEAT = 0.3


@pytest.fixture
def app(tmp_path: Path, engines: EngineRegistry) -> FastAPI:
    settings = make_settings(
        tmp_path / "data",
        event_heartbeat=HEARTBEAT,
        rate_limit_submit="off",
        rate_limit_read="off",
    )
    return create_app(settings, engines=engines)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


def ws_url(server: str) -> str:
    return server.replace("http://", "ws://") + "/v1/ws"


def send(socket: ClientConnection, message: dict[str, Any]) -> None:
    socket.send(json.dumps(message))


def receive(socket: ClientConnection, *, skip_pings: bool = True, within: float = 20) -> Any:
    """The next message from the server (keep-alive pings skipped)."""
    deadline = time.monotonic() + within
    while True:
        message = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if not (skip_pings and message["type"] == "ping"):
            return message


def test_a_subscribed_job_streams_its_events_to_the_final_one(
    app: FastAPI, server: str, engines: EngineRegistry
) -> None:
    state = app.state.untxt
    worker = Worker(state.settings, db=state.db, storage=state.storage, engines=engines)
    job_id = submit(server, "SOCKET 9")

    with connect(ws_url(server)) as socket, working(worker):
        send(socket, {"type": "subscribe", "job_ids": [job_id]})
        assert receive(socket) == {"type": "subscribed", "job_ids": [job_id], "all": False}
        events = [receive(socket)]
        while events[-1]["payload"]["type"] != "job.completed":
            events.append(receive(socket))

    assert all(e["type"] == "event" for e in events)
    assert events[0]["payload"]["type"] == "job.queued"
    assert [e["id"] for e in events] == sorted({e["id"] for e in events})
    assert {e["payload"]["data"]["job_id"] for e in events} == {job_id}
    assert events[-1]["payload"]["data"]["progress"] == {"pages_done": 1, "pages_total": 1}


def test_subscribing_to_all_jobs_starts_from_now_and_unsubscribing_stops_it(
    server: str,
) -> None:
    before = submit(server, "BEFORE")
    with connect(ws_url(server)) as socket:
        send(socket, {"type": "subscribe", "all": True})
        assert receive(socket) == {"type": "subscribed", "job_ids": [], "all": True}
        job_id = submit(server, "NOW")
        event = receive(socket)
        assert event["payload"]["type"] == "job.queued"
        assert event["payload"]["data"]["job_id"] == job_id != before

        send(socket, {"type": "unsubscribe", "all": True})
        assert receive(socket) == {"type": "unsubscribed", "job_ids": [], "all": True}
        cancel(server, job_id)
        send(socket, {"type": "ping"})
        # Only the answer to the ping: no event for the cancel.
        assert receive(socket) == {"type": "pong"}


def test_a_job_and_all_jobs_together_send_each_event_once(server: str) -> None:
    job_id = submit(server, "TWICE")
    with connect(ws_url(server)) as socket:
        send(socket, {"type": "subscribe", "all": True})
        receive(socket)
        send(socket, {"type": "subscribe", "job_ids": [job_id]})
        receive(socket)
        queued = receive(socket)  # the job's history, from its first event
        cancel(server, job_id)
        cancelled = receive(socket)
        send(socket, {"type": "ping"})
        assert receive(socket) == {"type": "pong"}

    assert queued["payload"]["type"] == "job.queued"
    assert cancelled["payload"]["type"] == "job.cancelled"
    assert cancelled["id"] > queued["id"]


def test_subscribe_resumes_after_an_event_id(server: str) -> None:
    job_id = submit(server, "AFTER")
    cancel(server, job_id)
    with connect(ws_url(server)) as socket:
        send(socket, {"type": "subscribe", "job_ids": [job_id]})
        receive(socket)
        queued, cancelled = receive(socket), receive(socket)
        send(socket, {"type": "subscribe", "job_ids": [job_id], "after": queued["id"]})
        receive(socket)
        again = receive(socket)

    assert again == cancelled


def test_the_server_pings_and_answers_pings(server: str) -> None:
    with connect(ws_url(server)) as socket:
        started = time.monotonic()
        assert receive(socket, skip_pings=False) == {"type": "ping"}
        assert receive(socket, skip_pings=False) == {"type": "ping"}
        assert time.monotonic() - started >= HEARTBEAT
        send(socket, {"type": "ping"})
        assert receive(socket) == {"type": "pong"}


def test_unknown_jobs_and_unreadable_messages_get_errors_and_the_socket_stays_open(
    server: str,
) -> None:
    job_id = submit(server, "MINE")
    with connect(ws_url(server)) as socket:
        send(socket, {"type": "subscribe", "job_ids": ["job_nope", job_id]})
        error = receive(socket)
        assert error["type"] == "error"
        assert error["status"] == 404
        assert error["job_id"] == "job_nope"
        assert receive(socket) == {"type": "subscribed", "job_ids": [job_id], "all": False}
        assert receive(socket)["payload"]["type"] == "job.queued"

        for bad in ("not json", "[1]", '{"type": "dance"}', '{"type": "subscribe"}'):
            socket.send(bad)
            reply = receive(socket)
            assert reply["type"] == "error" and reply["status"] == 400, bad
            assert reply["detail"]
        send(socket, {"type": "ping"})
        assert receive(socket) == {"type": "pong"}


def test_the_handshake_needs_credentials_once_accounts_exist(app: FastAPI, server: str) -> None:
    alice = make_user_key(app, "alice@example.com")
    bob = make_user_key(app, "bob@example.com")
    bobs_job = submit(server, "BOB", headers={"Authorization": f"Bearer {bob}"})

    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(server))
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["status"] == 401

    with pytest.raises(InvalidStatus) as wrong:
        connect(ws_url(server), additional_headers={"X-API-Key": "untxt_wrong"})
    assert wrong.value.response.status_code == 401

    headers = {"Authorization": f"Bearer {alice}"}
    with connect(ws_url(server), additional_headers=headers) as socket:
        send(socket, {"type": "subscribe", "job_ids": [bobs_job]})
        error = receive(socket)
        assert (error["type"], error["status"], error["job_id"]) == ("error", 404, bobs_job)
        assert receive(socket) == {"type": "subscribed", "job_ids": [], "all": False}

        send(socket, {"type": "subscribe", "all": True})
        receive(socket)
        submit(server, "BOB AGAIN", headers={"Authorization": f"Bearer {bob}"})
        alices_job = submit(server, "ALICE", headers=headers)
        event = receive(socket)
        assert event["payload"]["data"]["job_id"] == alices_job


def test_stopping_the_server_closes_open_sockets(app: FastAPI) -> None:
    with ExitStack() as stack:
        with serving(app) as url:
            socket = stack.enter_context(connect(ws_url(url)))
            send(socket, {"type": "subscribe", "all": True})
            receive(socket)
        with pytest.raises(ConnectionClosed):
            receive(socket, within=10)


def test_a_browser_session_opens_a_socket_from_its_own_origin_only(
    app: FastAPI, server: str
) -> None:
    make_user_key(app, "carol@example.com", password="a long enough password")
    login = httpx.post(
        f"{server}/v1/auth/login",
        json={"email": "carol@example.com", "password": "a long enough password"},
    )
    assert login.status_code == 200, login.text
    cookie = {"Cookie": f"untxt_session={login.cookies['untxt_session']}"}
    own_origin = {**cookie, "Origin": server}

    with connect(ws_url(server), additional_headers=own_origin) as socket:
        send(socket, {"type": "ping"})
        assert receive(socket) == {"type": "pong"}

    with pytest.raises(InvalidStatus) as foreign:
        connect(ws_url(server), additional_headers={**cookie, "Origin": "https://evil.example"})
    assert foreign.value.response.status_code == 403
