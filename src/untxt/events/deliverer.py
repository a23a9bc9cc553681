"""The delivery loop: sends due webhook deliveries from a thread, never in a request or OCR.

Every API process runs one (``UNTXT_WEBHOOK_DELIVERY``). Each claims due
deliveries with a lease (:mod:`untxt.events.deliveries`), so a delivery goes out
from one node at a time, and one whose node died is sent again once its lease
ends. A commit that made deliveries due wakes the loop at once in the committing
process, and on PostgreSQL in every process through ``LISTEN untxt_events``;
otherwise it looks every ``UNTXT_WEBHOOK_POLL_INTERVAL`` seconds (a cheap read, and
on SQLite only after a commit: see :mod:`untxt.db.changes`).

Outcomes: a 2xx answer delivers; 410 Gone disables the endpoint; anything else
(another status, a timeout, a refused connection, an address that fails the
SSRF check) is retried after the next delay of ``UNTXT_WEBHOOK_RETRY_SCHEDULE``,
within +-20% so that endpoints are not hit by every node at once, or after the
``Retry-After`` a 429 or 5xx answer asked for; after the last delay it fails.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import psycopg

from untxt.config import Settings
from untxt.db.changes import ChangeWatch
from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.events.deliveries import (
    AttemptResult,
    ClaimedDelivery,
    claim_deliveries,
    finish_attempt,
    next_due_at,
)
from untxt.events.ssrf import parse_allowed_hosts
from untxt.events.webhooks import Answer, Sender, encode_body, new_secret
from untxt.logs import get_logger
from untxt.metrics import hooks
from untxt.queue.outbox import EVENTS_CHANNEL, on_deliveries

log = get_logger(__name__)

JITTER = 0.2
# Seconds a failed database round trip waits before the loop tries again.
_ERROR_PAUSE_S = 1.0
# The shortest pause between two looks for due deliveries (unless the last one claimed
# all it could): at most 200 looks a second, however many events commit.
_MIN_GAP_S = 0.005
# How long the PostgreSQL listener waits for a notice before it looks whether to stop:
# a stop (each server's shutdown) waits up to this long for it.
_LISTEN_TICK_S = 0.1


def retry_delay(
    attempt: int, answer: Answer, schedule: list[float], *, rand: float | None = None
) -> float | None:
    """Seconds until the next attempt after failed attempt ``attempt`` (1-based), or
    ``None`` when the schedule is used up."""
    if attempt > len(schedule):
        return None
    status = answer.status_code
    if answer.retry_after is not None and status is not None and (status == 429 or status >= 500):
        return answer.retry_after
    draw = random.random() if rand is None else rand
    return schedule[attempt - 1] * (1 - JITTER + 2 * JITTER * draw)


class Deliverer:
    """Claims and sends due webhook deliveries on background threads."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._schedule = settings.webhook_retry_delays
        self._concurrency = settings.webhook_concurrency
        self._sender = Sender(
            timeout=settings.webhook_timeout,
            allowed_hosts=parse_allowed_hosts(settings.webhook_allowed_hosts),
        )
        self.lease_owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._threads: list[threading.Thread] = []
        self._remove_hook: Any = None
        self._changes = ChangeWatch(db)
        #: When the soonest delivery falls due, as last read; read again after a commit.
        self._due: datetime | None = None
        self._due_known = False

    def start(self) -> None:
        """Start the loop (and on PostgreSQL the listener) on daemon threads."""
        self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="untxt-webhook")
        self._remove_hook = on_deliveries(self._wake.set)
        self._threads = [threading.Thread(target=self._run, name="untxt-deliverer", daemon=True)]
        if self._db.dialect == "postgresql":
            self._threads.append(
                threading.Thread(target=self._listen, name="untxt-deliverer-listen", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        log.info("webhook delivery started", node=self.lease_owner)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop claiming, let deliveries under way finish (up to ``timeout``), close."""
        self._stopping.set()
        self._wake.set()
        if self._remove_hook is not None:
            self._remove_hook()
        for thread in self._threads:
            thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._sender.close()
        self._changes.close()
        log.info("webhook delivery stopped", node=self.lease_owner)

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    # -- the loop ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                wait = self._step()
            except Exception as exc:  # the database is away: try again shortly
                log.warning("webhook delivery loop failed; retrying", error=str(exc))
                wait = _ERROR_PAUSE_S
            if wait > 0:
                # A burst of commits wakes the loop once per look, not once per event.
                self._stopping.wait(_MIN_GAP_S)
                self._wake.wait(max(wait - _MIN_GAP_S, 0.0))
            self._wake.clear()

    def _step(self) -> float:
        """Claim and hand out what is due; returns how long to wait before looking again."""
        poll = self._settings.webhook_poll_interval
        free = self._free_slots()
        if free == 0:
            return poll  # a finishing delivery wakes the loop
        now = utcnow()
        if self._changes.changed() or not self._due_known:
            with self._db.engine.connect() as connection:
                self._due = next_due_at(connection)
            self._due_known = True
        due = self._due
        if due is None:
            return poll
        if due > now:
            return min(poll, (due - now).total_seconds())
        with self._db.write() as session:
            claimed = claim_deliveries(
                session,
                lease_owner=self.lease_owner,
                limit=free,
                lease=self._settings.webhook_lease,
                now=now,
                new_secret=new_secret,
            )
        self._due_known = False  # a claim that took nothing may have changed nothing
        for delivery in claimed:
            self._submit(delivery)
        # A full claim may have left more due: look again at once.
        return 0.0 if len(claimed) == free else poll

    def _free_slots(self) -> int:
        with self._lock:
            return self._concurrency - self._in_flight

    def _submit(self, delivery: ClaimedDelivery) -> None:
        assert self._pool is not None
        with self._lock:
            self._in_flight += 1
        try:
            self._pool.submit(self._deliver_and_release, delivery)
        except RuntimeError:  # shutting down: the lease runs out and another node sends it
            with self._lock:
                self._in_flight -= 1

    def _deliver_and_release(self, delivery: ClaimedDelivery) -> None:
        try:
            self.deliver(delivery)
        except Exception as exc:  # recorded nowhere: the lease runs out and it is sent again
            log.warning("webhook delivery failed to record", delivery=delivery.id, error=str(exc))
        finally:
            with self._lock:
                self._in_flight -= 1
            self._wake.set()

    def deliver(self, delivery: ClaimedDelivery) -> Answer:
        """Send one claimed delivery and record the attempt and its outcome."""
        started_at = utcnow()
        if delivery.secret is None:
            answer = Answer(duration_ms=0, error="no signing secret for this endpoint")
        else:
            answer = self._sender.send(
                delivery.url,
                body=encode_body(delivery.payload),
                secret=delivery.secret,
                message_id=delivery.message_id,
                now=started_at,
            )
        now = utcnow()
        gone = None
        retry_at: datetime | None = None
        if answer.status_code == 410:
            gone = f"the endpoint answered 410 Gone at {now:%Y-%m-%d %H:%M:%S} UTC"
        elif answer.status_code is None or not 200 <= answer.status_code < 300:
            delay = retry_delay(delivery.attempt, answer, self._schedule)
            retry_at = None if delay is None else now + timedelta(seconds=delay)
        with self._db.write() as session:
            held = finish_attempt(
                session,
                delivery,
                lease_owner=self.lease_owner,
                result=AttemptResult(
                    started_at=started_at,
                    duration_ms=answer.duration_ms,
                    status_code=answer.status_code,
                    error=answer.error,
                ),
                retry_at=retry_at,
                gone=gone,
                now=now,
            )
        if not held:
            log.warning("webhook delivery lease lost", delivery=delivery.id)
            return answer
        hooks.webhook_attempt(answer.status_code, retry=retry_at is not None)
        if gone:
            log.warning("webhook endpoint disabled", url=delivery.url, reason=gone)
        return answer

    # -- PostgreSQL wake-ups ---------------------------------------------------------

    def _listen(self) -> None:
        conninfo = self._db.conninfo()
        while not self._stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {EVENTS_CHANNEL}")
                    self._wake.set()  # events may have committed while not listening
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=_LISTEN_TICK_S, stop_after=1):
                            self._wake.set()
            except psycopg.Error as exc:
                log.warning("listening for events failed; polling meanwhile", error=str(exc))
                self._stopping.wait(_ERROR_PAUSE_S)
