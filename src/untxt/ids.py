"""Identifiers: a readable prefix and a time-ordered hex body, so ids sort by creation."""

from __future__ import annotations

import secrets
import threading
import time

_lock = threading.Lock()
_last = (0, 0)  # (milliseconds, random part) of the last id made in this process
_RANDOM_MAX = 2**64 - 1


def new_id(prefix: str) -> str:
    """Return ``prefix_`` + 12 hex digits of milliseconds + 16 random hex digits.

    Within one process ids only grow: one made in the same millisecond as the last
    takes the next random part (as monotonic ULIDs do), so that lists ordered by id
    keep the order things were created in.
    """
    global _last
    now = time.time_ns() // 1_000_000
    with _lock:
        last_ms, last_random = _last
        if now <= last_ms and last_random < _RANDOM_MAX:
            now, random = last_ms, last_random + 1
        else:
            random = secrets.randbits(63)
        _last = (now, random)
    return f"{prefix}_{now:012x}{random:016x}"
