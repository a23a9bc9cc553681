"""Wake-ups: a submit nudges idle workers so they claim at once instead of at their next poll.

- On PostgreSQL a submit runs ``NOTIFY untxt_tasks`` in its own transaction
  (:func:`notify_in_transaction`), so the nudge is sent only if the job exists;
  idle workers ``LISTEN`` (:class:`PostgresNotifier`) wherever they run.
- On SQLite, `untxt serve` hands nudges to its worker processes through a
  semaphore (:class:`SemaphoreNotifier`).

Either way a worker also polls now and then, in case a nudge was lost.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from untxt.logs import get_logger

log = get_logger(__name__)
CHANNEL = "untxt_tasks"


class Notifier(Protocol):
    """Tells idle workers that new work may be waiting."""

    def notify(self, count: int = 1) -> None:
        """Wake up to ``count`` waiting workers."""

    def wait(self, timeout: float) -> bool:
        """Block until notified or ``timeout`` seconds pass; ``True`` if notified."""


class SemaphoreNotifier:
    """In-process and parent/child wake-ups through a (multiprocessing) semaphore.

    Each notification is a permit; a worker that wakes for a permit whose work
    another worker already took finds nothing and waits again, which is cheap.
    """

    def __init__(self, semaphore: Any, *, max_permits: int = 64) -> None:
        self._semaphore = semaphore
        self._max_permits = max_permits

    def notify(self, count: int = 1) -> None:
        for _ in range(min(count, self._max_permits)):
            self._semaphore.release()

    def wait(self, timeout: float) -> bool:
        return bool(self._semaphore.acquire(timeout=timeout))


class PollingNotifier:
    """No wake-ups: workers find work by polling (separate processes on SQLite)."""

    def notify(self, count: int = 1) -> None:
        return None

    def wait(self, timeout: float) -> bool:
        time.sleep(timeout)
        return False


def notify_in_transaction(session: Session) -> None:
    """On PostgreSQL, wake listening workers when the session's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


class PostgresNotifier:
    """``LISTEN`` on a connection of its own; notifying is done by the submitting transaction."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._connection: psycopg.Connection[Any] | None = None

    def notify(self, count: int = 1) -> None:
        return None

    def wait(self, timeout: float) -> bool:
        try:
            connection = self._listen()
            woken = any(True for _ in connection.notifies(timeout=timeout, stop_after=1))
            if woken:
                # One claim loop serves every submit so far: drop the nudges queued meanwhile.
                for _ in connection.notifies(timeout=0):
                    pass
            return woken
        except psycopg.Error as exc:
            log.warning("listening for work failed; polling until it reconnects", error=str(exc))
            self.close()
            time.sleep(timeout)
            return False

    def _listen(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5)
            self._connection.execute(f"LISTEN {CHANNEL}")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
