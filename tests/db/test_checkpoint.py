"""WAL checkpoints on SQLite: never inside a commit, taken by a thread every few commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from untxt.db import Database
from untxt.db.checkpoint import COMMITS_PER_CHECKPOINT, ROUNDS_BEHIND, Checkpointer


def _write(db: Database, count: int) -> None:
    for _ in range(count):
        with db.write() as session:
            session.execute(text("INSERT INTO t (x) VALUES (randomblob(2000))"))


def test_commits_stay_in_the_log_until_a_thread_checkpoints_them(tmp_path: Path) -> None:
    path = tmp_path / "untxt.db"
    db = Database(f"sqlite:///{path}")
    try:
        with db.write() as session:
            session.execute(text("CREATE TABLE t (x BLOB)"))
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        # What is committed is in the WAL; the database file grows only by a checkpoint.
        _write(db, COMMITS_PER_CHECKPOINT - 2)
        before = path.stat().st_size
        assert Path(f"{path}-wal").stat().st_size > COMMITS_PER_CHECKPOINT * 2000
        _write(db, 1)
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > before + (COMMITS_PER_CHECKPOINT - 2) * 2000
    finally:
        db.dispose()


def _log_sizes(db: Database, rounds: int = 30) -> tuple[int, int]:
    """Write ``rounds`` rounds of commits, one at a time: the log's size after the first
    (no checkpoint yet: the log of one round) and after the last."""
    with db.write() as session:
        session.execute(text("CREATE TABLE t (x BLOB)"))
    wal = Path(f"{db.url.database}-wal")
    _write(db, COMMITS_PER_CHECKPOINT - 1)
    one_round = wal.stat().st_size
    _write(db, (rounds - 1) * COMMITS_PER_CHECKPOINT)
    return one_round, wal.stat().st_size


def test_the_log_starts_over_under_a_steady_stream_of_commits(tmp_path: Path) -> None:
    # Each checkpoint runs while commits go on: unless the commits made meanwhile are
    # copied too, no writer ever finds the whole log copied, and it grows without end.
    db = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    try:
        one_round, size = _log_sizes(db)
        # Never started over, the log would hold 30 rounds of commits.
        assert size < 10 * one_round
    finally:
        db.dispose()


def _never_runs(checkpointer: Checkpointer) -> None:
    """A thread that never runs, as on a machine that gives it no CPU."""
    checkpointer._start = lambda: None  # type: ignore[method-assign]


def _copies_slowly(checkpointer: Checkpointer) -> None:
    """The thread's copies take 0.2 s, as on a busy disk, while writers go on."""
    copy = checkpointer._checkpoint

    def slow() -> None:
        if threading.current_thread().name == "untxt-wal-checkpoint":
            time.sleep(0.2)
        copy()

    checkpointer._checkpoint = slow  # type: ignore[method-assign]


@pytest.mark.parametrize("thread", [_never_runs, _copies_slowly])
def test_the_log_stays_small_however_far_behind_the_thread_falls(
    tmp_path: Path, thread: Callable[[Checkpointer], None]
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'untxt.db'}")
    assert db._checkpoints is not None
    thread(db._checkpoints)
    try:
        one_round, size = _log_sizes(db)
        # Never copied, the log would hold 30 rounds of commits: a writer copies it
        # after a few.
        assert size <= (ROUNDS_BEHIND + 1) * one_round < 10 * one_round
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT count(*) FROM t").scalar()
        assert rows == 30 * COMMITS_PER_CHECKPOINT - 1  # nothing lost by the copies
    finally:
        db.dispose()
