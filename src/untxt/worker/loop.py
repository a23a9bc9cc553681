"""The worker loop: claim a task (or several), run it, repeat; reap expired leases now
and then."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from contextlib import nullcontext

from untxt import tracing
from untxt.config import Settings
from untxt.db.session import Database
from untxt.db.types import utcnow
from untxt.engines import EngineRegistry
from untxt.logs import get_logger
from untxt.metrics import hooks
from untxt.queue import Lease, Outcome, RetryPolicy, claim, claim_many, reap_expired
from untxt.queue.notify import Notifier, PollingNotifier, PostgresNotifier
from untxt.storage import BlobStore, open_storage
from untxt.worker.keeper import LeaseKeeper
from untxt.worker.runner import Deferred, TaskRunner

log = get_logger(__name__)

#: The longest a job read in a batch waits for the batch's others to be completed with.
FLUSH_AFTER_S = 0.2


def new_worker_id() -> str:
    """A lease owner name that is unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def default_notifier(db: Database) -> Notifier:
    """LISTEN on PostgreSQL; on SQLite, poll (other processes cannot reach this one)."""
    if db.dialect == "postgresql":
        return PostgresNotifier(db.conninfo())
    return PollingNotifier()


class Worker:
    """Claims and runs tasks until stopped. One per process: engines are not thread-safe."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        storage: BlobStore | None = None,
        engines: EngineRegistry | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.id = new_worker_id()
        self._db = db or Database(settings.database_url)
        self._storage = storage or open_storage(settings.storage_url, settings)
        self._engines = engines or EngineRegistry(settings)
        self._notifier = notifier or default_notifier(self._db)
        self._runner = TaskRunner(settings, self._db, self._storage, self._engines)
        self._policy = RetryPolicy(settings.max_attempts, settings.retry_base, settings.retry_cap)
        self._stop = threading.Event()
        self._next_reap = 0.0
        self.tasks_run = 0

    def stop(self) -> None:
        """Stop claiming; the task in hand is finished first."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def claim(self) -> Lease | None:
        """Claim one task, if any is runnable."""
        with self._db.write() as session:
            return claim(session, owner=self.id, ttl=self.settings.lease_ttl, now=utcnow())

    def reap(self) -> int:
        """Return expired leases to the queue; returns how many."""
        with self._db.write() as session:
            count = reap_expired(session, policy=self._policy, now=utcnow())
        if count:
            log.warning("reaped expired leases", count=count)
        return count

    def run_once(self, keeper: LeaseKeeper | None = None) -> Outcome | None:
        """Claim and run one task; ``None`` when there was nothing to do."""
        lease = self.claim()
        if lease is None:
            return None
        if keeper is None:
            outcome = self._runner.run(lease)
        else:
            with keeper.hold(lease):
                outcome = self._runner.run(lease, keeper)
        self.tasks_run += 1
        return outcome

    def run_batch(self, keeper: LeaseKeeper | None = None) -> list[Outcome]:
        """Claim up to ``worker_batch`` tasks and run them, best first; the outcomes, none
        when there was nothing to do.

        The one-page jobs among them are completed together, in one transaction, once
        all are read or when the first has waited :data:`FLUSH_AFTER_S`; a stopping
        worker finishes the tasks it holds.
        """
        with self._db.write() as session:
            leases = claim_many(
                session,
                owner=self.id,
                ttl=self.settings.lease_ttl,
                now=utcnow(),
                limit=self.settings.worker_batch,
            )
        outcomes: list[Outcome] = []
        deferred: list[Deferred] = []
        first_read = 0.0
        with keeper.hold(*leases) if keeper is not None else nullcontext():
            for lease in leases:
                outcome = self._runner.run(lease, keeper, deferred=deferred)
                if outcome is not None:
                    outcomes.append(outcome)
                    if keeper is not None:
                        keeper.release(lease)
                elif len(deferred) == 1:
                    first_read = time.monotonic()
                if deferred and time.monotonic() - first_read >= FLUSH_AFTER_S:
                    outcomes.extend(self._runner.complete_deferred(deferred).values())
                    deferred = []
            if deferred:
                outcomes.extend(self._runner.complete_deferred(deferred).values())
        self.tasks_run += len(leases)
        return outcomes

    def run(self) -> None:
        """Loop until :meth:`stop`; database hiccups are logged and retried, never fatal."""
        keeper = LeaseKeeper(self._db, self.settings.lease_ttl)
        log.info("worker started", worker=self.id, batch=self.settings.worker_batch)
        hooks.worker_running(True)
        try:
            while not self._stop.is_set():
                try:
                    self._maybe_reap()
                    if self.settings.worker_batch > 1:
                        idle = not self.run_batch(keeper)
                    else:
                        idle = self.run_once(keeper) is None
                    if idle:
                        self._notifier.wait(self.settings.poll_interval)
                except Exception:
                    log.exception("worker loop error; retrying", worker=self.id)
                    self._stop.wait(min(self.settings.poll_interval, 1.0))
        finally:
            hooks.worker_running(False)
            keeper.close()
            self._engines.close()
            self._db.dispose()
            log.info("worker stopped", worker=self.id, tasks=self.tasks_run)
            tracing.flush()

    def _maybe_reap(self) -> None:
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + max(self.settings.lease_ttl / 2, 1.0)
            self.reap()
