"""A cheap test of whether the database changed: for loops that would otherwise poll it.

On SQLite the workers are other processes, so the API process's event hub and
webhook loop learn of their commits only by looking. A real look (a query through
a pooled session, handed to a thread) costs about a millisecond of CPU; twenty a
second, idle, add up. ``PRAGMA data_version`` on a connection of the watch's own
costs microseconds and changes whenever any other connection, in any process,
commits: a loop asks it first and queries only when it changed.

Other databases have no such counter; there every look counts as a change.
"""

from __future__ import annotations

import sqlite3
import threading

from untxt.db.session import Database

# The counter is read from shared memory; a busy file (a checkpoint, a recovery) is
# not waited for: that look simply counts as a change.
_BUSY_TIMEOUT_S = 0.05


class ChangeWatch:
    """Says whether another connection has committed since the last :meth:`changed`."""

    def __init__(self, db: Database) -> None:
        self._path = db.url.database if db.dialect == "sqlite" else None
        self._connection: sqlite3.Connection | None = None
        self._version: int | None = None
        self._lock = threading.Lock()

    def changed(self) -> bool:
        """``True`` on the first call, after any commit by another connection since the
        previous call, and whenever it cannot tell."""
        if self._path is None:
            return True
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = sqlite3.connect(
                        self._path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False
                    )
                version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.Error:
                self._close()
                return True
            changed = version != self._version
            self._version = version
            return changed

    def close(self) -> None:
        """Close the watch's connection; a later :meth:`changed` opens it again."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._version = None
