"""One writer at a time on a SQLite file, handed over without SQLite's sleep-and-retry.

SQLite lets one transaction write at a time; the others wait in its busy handler,
which sleeps in growing steps (1, 2, 5 ... 100 ms) and so turns a short queue of
writers into long tail latencies. Writers of untxt queue instead on a lock the
kernel hands to the next waiter the moment it is released: a thread lock within
a process, and ``flock`` on a file beside the database between processes.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType


class WriteLock:
    """Exclusive across the threads and processes that use the same lock file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._thread_lock = threading.Lock()
        self._holder: int | None = None
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        # A descriptor inherited through fork shares its lock with the parent: reopen.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def __enter__(self) -> None:
        if self._holder == threading.get_ident():
            # A write transaction opened inside another on the same thread would wait
            # for itself forever; say so instead.
            raise RuntimeError("nested write transaction on one SQLite database")
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        self._holder = threading.get_ident()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._holder = None
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()
