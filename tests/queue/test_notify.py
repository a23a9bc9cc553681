"""Wake-ups for idle workers: semaphore permits and plain polling."""

from __future__ import annotations

import multiprocessing
import threading
import time

from untxt.queue.notify import PollingNotifier, SemaphoreNotifier


def test_semaphore_notifier_wakes_a_waiting_thread() -> None:
    """A notify releases a worker blocked in ``wait`` well before its timeout."""
    notifier = SemaphoreNotifier(threading.Semaphore(0))
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(notifier.wait(timeout=10)))
    waiter.start()
    time.sleep(0.05)
    started = time.monotonic()
    notifier.notify()
    waiter.join(timeout=5)
    assert not waiter.is_alive()
    assert woke == [True]
    assert time.monotonic() - started < 2


def test_semaphore_notifier_wait_times_out_without_a_notification() -> None:
    """With no permit, ``wait`` returns False after the timeout."""
    notifier = SemaphoreNotifier(threading.Semaphore(0))
    started = time.monotonic()
    assert notifier.wait(timeout=0.05) is False
    assert time.monotonic() - started >= 0.04


def test_semaphore_notifier_keeps_one_permit_per_notification() -> None:
    """``notify(count)`` lets exactly ``count`` waits through."""
    notifier = SemaphoreNotifier(threading.Semaphore(0))
    notifier.notify(3)
    assert [notifier.wait(timeout=0.01) for _ in range(4)] == [True, True, True, False]


def test_semaphore_notifier_caps_permits_per_notification() -> None:
    """A huge ``count`` releases at most ``max_permits`` permits."""
    notifier = SemaphoreNotifier(threading.Semaphore(0), max_permits=2)
    notifier.notify(100)
    assert [notifier.wait(timeout=0.01) for _ in range(3)] == [True, True, False]


def test_semaphore_notifier_works_with_a_multiprocessing_semaphore() -> None:
    """The same notifier serves parent/child processes through a process semaphore."""
    notifier = SemaphoreNotifier(multiprocessing.get_context("spawn").Semaphore(0))
    assert notifier.wait(timeout=0.01) is False
    notifier.notify()
    assert notifier.wait(timeout=1) is True


def test_polling_notifier_wait_returns_false_after_the_timeout() -> None:
    """Polling never reports a wake-up; it just sleeps the timeout, even after a notify."""
    notifier = PollingNotifier()
    notifier.notify(5)
    started = time.monotonic()
    assert notifier.wait(timeout=0.05) is False
    assert time.monotonic() - started >= 0.04
