"""Wake-ups: a submit nudges idle workers so they claim at once instead of at their next poll."""

from __future__ import annotations

import time
from typing import Any, Protocol


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
