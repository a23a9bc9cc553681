"""Waiting for one job to finish, woken by the process's event hub instead of polling.

A waiter subscribes to the :class:`~untxt.events.fanout.EventHub` first and only
then reads the job's status, so a job that finishes in between wakes it rather
than slipping past. Each wake-up (the outbox grew: some job changed) costs one
read of one row, in the thread pool, on a connection returned at once: nothing
is held while the waiter sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable

from starlette.concurrency import run_in_threadpool

from untxt.db.session import Database
from untxt.events.fanout import EventHub
from untxt.events.reads import job_status
from untxt.events.stream import FINAL_STATUSES

# Even with no wake-up at all, the status is read again this often: a safety net
# for a lost wake-up, far too slow to count as polling.
_RECHECK_S = 5.0


def _status(db: Database, owner: str, job_id: str) -> str | None:
    with db.read() as session:
        return job_status(session, owner=owner, job_id=job_id)


async def wait_until_finished(
    hub: EventHub, db: Database, *, owner: str, job_id: str, timeout: float
) -> bool:
    """Whether ``owner``'s job ``job_id`` finished (completed, failed, cancelled, or
    is gone) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with hub.subscribe() as subscription:
        while True:
            status = await run_in_threadpool(_status, db, owner, job_id)
            if status is None or status in FINAL_STATUSES:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or subscription.closed:
                return False
            await subscription.wait(min(remaining, _RECHECK_S))


async def unless_gone(waiting: Awaitable[bool], gone: Awaitable[None]) -> bool:
    """``waiting``'s answer, or ``False`` as soon as ``gone`` completes (the client hung
    up); whichever is left is cancelled, so nothing outlives the call."""
    wait_task = asyncio.ensure_future(waiting)
    gone_task = asyncio.ensure_future(gone)
    try:
        done, _ = await asyncio.wait({wait_task, gone_task}, return_when=asyncio.FIRST_COMPLETED)
        return wait_task in done and wait_task.result()
    finally:
        for task in (wait_task, gone_task):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
