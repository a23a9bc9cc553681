"""Keeps the leases a worker holds alive from a background thread while the engine works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.queue import Lease, heartbeat

log = get_logger(__name__)


class LeaseKeeper:
    """One heartbeat thread per worker, extending every lease held every ``ttl/3``."""

    def __init__(self, db: Database, ttl: float) -> None:
        self._db = db
        self._ttl = ttl
        self._leases: dict[int, Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="untxt-heartbeat", daemon=True)
        self._thread.start()

    @contextmanager
    def hold(self, *leases: Lease) -> Iterator[None]:
        """Heartbeat ``leases`` for the duration of the block (or until released)."""
        with self._lock:
            self._leases.update((lease.task_id, lease) for lease in leases)
        try:
            yield
        finally:
            for lease in leases:
                self.release(lease)

    def release(self, lease: Lease) -> None:
        """Stop heartbeating ``lease``: its task is finished."""
        with self._lock:
            if self._leases.get(lease.task_id) is lease:
                del self._leases[lease.task_id]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._ttl / 3):
            with self._lock:
                leases = list(self._leases.values())
            for lease in leases:
                self._beat(lease)

    def _beat(self, lease: Lease) -> None:
        try:
            with self._db.write() as session:
                alive = heartbeat(session, lease, ttl=self._ttl, now=utcnow())
        except Exception:  # a failed heartbeat is retried; the lease has slack
            log.warning("heartbeat failed", task=lease.task_id, exc_info=True)
            return
        with self._lock:
            # The task may have finished while its heartbeat was on its way.
            lost = not alive and self._leases.get(lease.task_id) is lease
        if lost:
            # Fencing rejects whatever this worker writes for the task from now on.
            log.warning("lease lost", task=lease.task_id, job=lease.job_id)
