"""The SQLite write lock: one writer at a time across threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from untxt.db.writelock import WriteLock


def _hold(path: str, held: object, release: object) -> None:
    with WriteLock(Path(path)):
        held.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]


def test_a_second_process_waits_until_the_first_releases(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    path = tmp_path / "db.write-lock"
    other = context.Process(target=_hold, args=(str(path), held, release))
    other.start()
    try:
        assert held.wait(30)
        acquired = threading.Event()

        def take() -> None:
            with WriteLock(path):
                acquired.set()

        taker = threading.Thread(target=take)
        taker.start()
        assert not acquired.wait(0.3)  # blocked while the other process holds it
        release.set()
        assert acquired.wait(10)
        taker.join()
    finally:
        release.set()
        other.join(10)


def test_threads_sharing_one_lock_never_overlap(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db.write-lock")
    inside = 0
    overlaps = 0

    def work() -> None:
        nonlocal inside, overlaps
        for _ in range(50):
            with lock:
                inside += 1
                if inside > 1:
                    overlaps += 1
                time.sleep(0.0001)
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert overlaps == 0


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    lock = WriteLock(tmp_path / "db.write-lock")
    try:
        with lock:
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    acquired = threading.Event()

    def take() -> None:
        with WriteLock(tmp_path / "db.write-lock"):
            acquired.set()

    threading.Thread(target=take, daemon=True).start()
    assert acquired.wait(5)


def test_a_nested_write_on_the_same_thread_fails_instead_of_waiting_forever(
    tmp_path: Path,
) -> None:
    lock = WriteLock(tmp_path / "db.write-lock")

    with lock, pytest.raises(RuntimeError, match="nested write"):
        lock.__enter__()

    with lock:  # still usable afterwards
        pass
