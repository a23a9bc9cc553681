"""SQLite's WAL checkpoints, taken by a thread of each process instead of by a commit.

By default SQLite copies the write-ahead log back into the database file (a
checkpoint, with an fsync) inside the commit that takes the log past 1,000 pages.
That commit runs under untxt's write lock (:mod:`untxt.db.writelock`), so every
writer of every process waits for the copy: a stall of 10-20 ms every few dozen
submits, which is most of a submit's p99 at 16 clients. Connections are opened
with automatic checkpoints off, and after every :data:`COMMITS_PER_CHECKPOINT`
commits a thread of the process checkpoints, outside the write lock. The
checkpoint is PASSIVE: it copies what no reader still needs, waits for nobody,
and writers go on meanwhile. The last connection to close checkpoints what is left,
as SQLite always does.

SQLite starts the log over from its beginning only when a writer begins with all of
it copied. Under a steady stream of commits that never happens by itself: the
commits made during a checkpoint are still in the log when it ends. The log then
grew without end (350 MB after 3,000 submits), and every commit wrote to a new
stretch of file, for which the kernel must find fresh pages: a commit took four
times the CPU. So the first commit after each checkpoint, still holding the write
lock, copies the few commits made meanwhile; the next writer finds the whole log
copied and starts it over. That copy holds the other writers for about a
millisecond (a median of 1.1 ms, at most 1.7, over a steady stream of submits),
once every 40 commits.

Two checkpoints of one database cannot run at once: the second copies nothing. So
the writer's copy waits for a checkpoint of the thread's that is under way, and the
thread lets a round pass rather than start one while the writer's copy is still to
come. On a busy machine the thread's checkpoints ran back to back, the writers'
copies found one under way each time, and the log grew again. And a thread that
gets no CPU at all would let it grow too: a writer that finds no copy made for
:data:`ROUNDS_BEHIND` rounds of commits copies the log itself, still holding the
write lock, as SQLite would have.
"""

from __future__ import annotations

import os
import threading

from sqlalchemy import Engine

from untxt.logs import get_logger

log = get_logger(__name__)

#: Commits of one process between its checkpoints: a submit writes a few dozen pages,
#: so the log stays near SQLite's own mark of 1,000 pages.
COMMITS_PER_CHECKPOINT = 40
#: Rounds of commits after which a writer copies the log itself, the thread not having
#: done so: the log then stays within a few times its usual size whatever the thread.
ROUNDS_BEHIND = 4


class Checkpointer:
    """Counts a process's commits and checkpoints on its own thread after every few."""

    def __init__(self, engine: Engine, every: int = COMMITS_PER_CHECKPOINT) -> None:
        self._engine = engine
        self._every = every
        self._commits = 0
        self._lock = threading.Lock()
        # Held by whoever copies the log, the thread or a writer.
        self._copying = threading.Lock()
        self._due = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False
        # A checkpoint ended: what was committed during it is still to copy.
        self._catch_up = False
        # Commits since a writer last copied the log (a catch-up, or one of its own).
        self._uncopied = 0

    def committed(self) -> None:
        """Count a commit, made by the caller who still holds the write lock; wake the
        thread when due. First copy what was committed during the thread's last
        checkpoint, or the whole log when the thread has fallen rounds behind."""
        self._uncopied += 1
        if self._catch_up or self._uncopied >= ROUNDS_BEHIND * self._every:
            self._catch_up = False
            self._uncopied = 0
            with self._copying:
                self._checkpoint()
        with self._lock:
            self._commits += 1
            if self._commits < self._every:
                return
            self._commits = 0
            # A thread does not survive a fork: a forked process starts its own.
            if self._thread is None or self._pid != os.getpid():
                self._start()
        self._due.set()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._stopping = False
        self._due = threading.Event()
        self._thread = threading.Thread(target=self._run, name="untxt-wal-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopping:
                return
            if not self._catch_up:  # else the next commit copies first; a round passes
                self.checkpoint()

    def checkpoint(self) -> None:
        """Copy the log into the database file as far as no reader needs it still; the
        next commit copies what was committed meanwhile."""
        with self._copying:
            self._checkpoint()
            self._catch_up = True

    def _checkpoint(self) -> None:
        try:
            connection = self._engine.raw_connection()
            try:
                connection.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                connection.close()
        except Exception as exc:  # the next one will try again; commits go on meanwhile
            log.warning("wal checkpoint failed", error=str(exc))

    def stop(self) -> None:
        """End the thread (at dispose); a later commit starts it again."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
        if thread is not None and self._pid == os.getpid():
            self._due.set()
            thread.join(timeout=5)
