"""Per-owner quotas: unfinished jobs and stored document bytes, checked inside the submit
transaction so that a refused request creates nothing."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from untxt.config import Settings
from untxt.db.documents import stored_bytes
from untxt.errors import QueuedJobsQuotaError, StorageQuotaError
from untxt.queue.counts import count_unfinished_jobs


def check_queued_jobs(
    db: Session | Connection, *, settings: Settings, owner: str, adding: int
) -> None:
    """Refuse ``adding`` more jobs when the owner's unfinished jobs would pass the quota."""
    quota = settings.quota_queued_jobs
    if not quota:
        return
    unfinished = count_unfinished_jobs(db, owner=owner)
    if unfinished + adding > quota:
        raise QueuedJobsQuotaError(
            f"{unfinished} of your jobs are queued or processing and this request adds "
            f"{adding}; the limit is {quota} (UNTXT_QUOTA_QUEUED_JOBS). Wait for some to "
            "finish, or cancel some, and submit again"
        )


class StoredBytes:
    """Each owner's stored bytes as last read, plus what this process stored since.

    Summing an owner's documents costs more the more they have; read at most every
    ``ttl`` seconds, it makes a submit far below the quota cost no query, while one
    that comes near the quota is counted exactly. Uploads through other API processes
    within ``ttl`` are not seen by the estimate, but are by the exact count.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._known: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def clearly_below(self, read: Callable[[], int], *, owner: str, size: int, quota: int) -> bool:
        """Whether ``size`` more bytes keep the owner at most half-way to the quota;
        ``read`` counts the owner's stored bytes when the last count is too old."""
        now = time.monotonic()
        with self._lock:
            known = self._known.get(owner)
        if known is None or now - known[0] > self._ttl:
            known = (now, read())
        total = known[1] + size
        with self._lock:
            self._known[owner] = (known[0], total)
        return total <= quota // 2


def check_stored_bytes(
    read: Callable[[], AbstractContextManager[Session]],
    *,
    settings: Settings,
    owner: str,
    sha256: str,
    size: int,
    estimate: StoredBytes | None = None,
) -> None:
    """Refuse a document that would take the owner's stored bytes past the quota.

    The same bytes stored already by this owner count once, so uploading them
    again is never refused. With an ``estimate``, a document that leaves the owner
    far below the quota is let through without counting, and ``read`` (a read session
    of the database) is not even opened.
    """
    quota = settings.quota_stored_bytes
    if not quota:
        return
    with ExitStack() as stack:
        # Opened at the first count, if any, and shared by the second.
        session = functools.cache(lambda: stack.enter_context(read()))
        if estimate is not None and estimate.clearly_below(
            lambda: stored_bytes(session(), owner=owner), owner=owner, size=size, quota=quota
        ):
            return
        others = stored_bytes(session(), owner=owner, excluding_sha256=sha256)
    if others + size > quota:
        raise StorageQuotaError(
            f"your documents take {others} bytes and this one {size}; the limit is "
            f"{quota} bytes (UNTXT_QUOTA_STORED_BYTES). Delete documents you no longer "
            "need and upload again"
        )
