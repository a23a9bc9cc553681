"""Killing the API process loses no webhook: its pending and in-flight deliveries go out
after a restart, at least once each."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests import samples
from tests.conftest import make_settings
from tests.events.receiver import Receiver, Reply, running_receiver
from tests.queue.helpers import make_job
from tests.worker.helpers import output, start, wait_for
from untxt.api.deps import LOCAL_OWNER
from untxt.db import Database, upgrade
from untxt.db.models import WebhookDeliveryRow
from untxt.db.types import utcnow
from untxt.queue.outbox import read_events

#: The serving process's settings: short webhook leases and retries, the test's loopback
#: allowed, no rate limits.
WEBHOOK_ENV = {
    "UNTXT_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
    "UNTXT_WEBHOOK_LEASE": "2",
    "UNTXT_WEBHOOK_TIMEOUT": "10",
    "UNTXT_WEBHOOK_RETRY_SCHEDULE": ",".join(["0.2"] * 5 + ["0.5"] * 40),
    "UNTXT_WEBHOOK_POLL_INTERVAL": "0.05",
    "UNTXT_RATE_LIMIT_SUBMIT": "off",
    "UNTXT_RATE_LIMIT_READ": "off",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``untxt serve`` (API only) on a database; start, kill and start again."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.settings = make_settings(tmp_path / "data", database_url=db_url)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start(
            ["serve", "--port", str(self.port), "--workers", "0"],
            self.settings,
            UNTXT_DATABASE_URL=self.settings.database_url,
            **WEBHOOK_ENV,
        )

        def ready() -> bool:
            try:
                return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(ready, timeout=60, interval=0.1)

    def kill(self) -> None:
        assert self.process is not None
        assert self.process.poll() is None, output(self.process)
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


@pytest.fixture
def server(tmp_path: Path, db_url: str) -> Iterator[Server]:
    server = Server(tmp_path, db_url)
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)


def _leased(db: Database) -> int:
    with db.read() as session:
        query = select(func.count()).where(
            WebhookDeliveryRow.status == "pending", WebhookDeliveryRow.lease_owner.is_not(None)
        )
        return int(session.scalar(query) or 0)


def test_a_killed_server_delivers_every_pending_event_after_a_restart(
    server: Server, db_url: str
) -> None:
    db = Database(db_url)
    try:
        upgrade(db)
        server.start()
        hanging = Receiver().start()
        port = hanging.port
        hanging.default = Reply(200, delay=30)  # answers nothing while the server lives
        with httpx.Client(base_url=server.url, timeout=10) as client:
            created = client.post("/v1/webhooks", json={"url": hanging.url})
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            for n in range(4):
                response = client.post(
                    "/v1/documents", files={"file": (f"d{n}.png", samples.png([f"DOC {n}"]))}
                )
                assert response.status_code == 201, response.text
                job = client.post("/v1/jobs", json={"document_id": response.json()["id"]})
                assert job.status_code == 202, job.text
        # The server holds deliveries in flight (leased) when it dies.
        wait_for(lambda: _leased(db) >= 4, timeout=20)
        server.kill()
        hanging.stop()

        # Events recorded while no server runs and the endpoint is down stay pending.
        for _ in range(2):
            make_job(db, utcnow(), owner=LOCAL_OWNER)
        server.start()
        time.sleep(1.0)  # the endpoint is still down: the restarted server's tries fail

        # The secret is set before it serves: a retry may come at once.
        with running_receiver(port=port, secret=secret) as receiver:
            with db.read() as session:
                expected = {
                    f"msg_{d.event_id}_{d.id}" for d in session.scalars(select(WebhookDeliveryRow))
                }
                events = read_events(session, owner=None)
            assert len(expected) == len(events) == 6
            wait_for(lambda: expected <= {r.webhook_id for r in receiver.successes()}, timeout=30)
            time.sleep(0.5)
            arrived = list(receiver.received)
        server.kill()
        with db.read() as session:
            statuses = set(session.scalars(select(WebhookDeliveryRow.status)))
    finally:
        db.dispose()

    assert all(r.verified for r in arrived)
    counts = Counter(r.webhook_id for r in arrived if r.status == 200)
    assert set(counts) == expected
    # At-least-once: a second copy could only follow an answer that got lost, and the
    # endpoint that came back answers every request.
    duplicates = sum(n - 1 for n in counts.values())
    assert duplicates == 0, counts
    assert statuses == {"succeeded"}
