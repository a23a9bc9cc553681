"""A pool of worker processes: OCR is CPU-bound, so one process per core."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

from untxt import heap
from untxt.config import Settings
from untxt.db.session import normalize_url
from untxt.logs import configure_logging, get_logger
from untxt.metrics.registry import process_gone
from untxt.queue.notify import Notifier, PollingNotifier, SemaphoreNotifier
from untxt.retention import PeriodicCleanup
from untxt.tracing import configure_tracing

log = get_logger(__name__)
_CTX = multiprocessing.get_context("spawn")
# How often the parent checks for workers that died and must be replaced.
_SUPERVISE_INTERVAL_S = 1.0


def _is_sqlite(settings: Settings) -> bool:
    return normalize_url(settings.database_url).get_backend_name() == "sqlite"


def _watch_parent(parent_pid: int, worker: Any) -> None:
    """Stop the worker if the pool's process dies, rather than run on as an orphan."""
    while not worker.stopping:
        if os.getppid() != parent_pid:
            log.warning("worker pool process is gone; stopping", worker=worker.id)
            worker.stop()
            return
        time.sleep(_SUPERVISE_INTERVAL_S)


def _worker_main(settings_json: str, semaphore: Any, parent_pid: int) -> None:
    """Entry point of one worker process."""
    # Tesseract's OpenMP threads fight each other across processes; one each is faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from untxt.worker.loop import Worker  # after the environment is set

    settings = Settings.model_validate_json(settings_json)
    configure_logging(settings.log_level, json=settings.log_json)
    configure_tracing(settings.otel, role="worker")
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    # On PostgreSQL the worker LISTENs for submits from any API node instead.
    notifier = SemaphoreNotifier(semaphore) if _is_sqlite(settings) else None
    worker = Worker(settings, notifier=notifier)
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    threading.Thread(target=_watch_parent, args=(parent_pid, worker), daemon=True).start()
    heap.settle()
    worker.run()


class WorkerPool:
    """Starts ``count`` worker processes, replaces any that die, stops them gracefully.

    Its supervisor thread also starts the node's periodic retention cleanup.
    """

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self._semaphore = _CTX.Semaphore(0)
        #: What an API in this process calls after a submit (a no-op on PostgreSQL).
        self.notifier: Notifier = (
            SemaphoreNotifier(self._semaphore) if _is_sqlite(settings) else PollingNotifier()
        )
        self._processes: list[BaseProcess] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._cleanup = PeriodicCleanup(settings)

    def start(self) -> None:
        self._processes = [self._spawn(i) for i in range(self.count)]
        self._supervisor = threading.Thread(target=self._supervise, name="untxt-pool", daemon=True)
        self._supervisor.start()
        log.info("worker pool started", workers=self.count)

    def _spawn(self, index: int) -> BaseProcess:
        process = _CTX.Process(
            target=_worker_main,
            args=(self.settings.model_dump_json(), self._semaphore, os.getpid()),
            name=f"untxt-worker-{index}",
            daemon=False,
        )
        process.start()
        return process

    def _supervise(self) -> None:
        while not self._stopping.wait(_SUPERVISE_INTERVAL_S):
            for index, process in enumerate(self._processes):
                if not process.is_alive() and not self._stopping.is_set():
                    log.error("worker died; restarting", worker=process.name, code=process.exitcode)
                    if process.pid:
                        process_gone(process.pid)
                    self._processes[index] = self._spawn(index)
            self._cleanup.poll()

    def alive(self) -> int:
        return sum(p.is_alive() for p in self._processes)

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM every worker, wait for the tasks in hand to finish, then kill stragglers."""
        self._stopping.set()
        if self._supervisor:
            self._supervisor.join()
        self._cleanup.close()
        for process in self._processes:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGTERM)
        # Wake idle workers so they see the stop at once.
        SemaphoreNotifier(self._semaphore).notify(len(self._processes))
        grace = self.settings.lease_ttl if timeout is None else timeout
        for process in self._processes:
            process.join(grace)
            if process.is_alive():
                log.warning("worker did not stop in time; killing", worker=process.name)
                process.kill()
                process.join()
            if process.pid:
                process_gone(process.pid)
        log.info("worker pool stopped")
