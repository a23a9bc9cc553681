"""Fan-out: one watcher per API process tells its event subscribers that the outbox grew.

Subscribers (SSE streams, WebSocket connections) never share a reading: each one,
once woken, reads its own new events from the outbox after its own cursor. So a
live stream and a resumed one (``Last-Event-ID``) read the same way, and a
wake-up that is lost or merged with another costs nothing but a little latency.

- On PostgreSQL every event commit sends ``pg_notify('untxt_events', '<id>')``,
  from any worker on any node; the hub runs ``LISTEN untxt_events`` on a
  connection of its own, and also looks now and then in case a notification was
  lost (while it reconnects, say).
- On SQLite the workers are other processes on the same machine: every
  ``poll_interval`` seconds the hub asks SQLite whether anything committed (a
  :class:`~untxt.db.changes.ChangeWatch`, microseconds), and only then reads the
  newest event id.
- Either way a commit in this very process (a cancel, a submit) wakes it at once.

The hub watches only while at least one client is subscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool

from untxt.db.changes import ChangeWatch
from untxt.db.session import Database
from untxt.events.reads import event_ids_after
from untxt.logs import get_logger
from untxt.queue.outbox import EVENTS_CHANNEL, latest_event_id, on_commit

log = get_logger(__name__)
# After the listening connection fails, poll this long before trying to listen again.
_RELISTEN_AFTER_S = 5.0
# Without subscribers for this long, the listening connection is closed.
_LISTEN_IDLE_S = 30.0
_IDS_PER_READ = 1000
_LONG_HOLE = 1000


class Subscription:
    """A subscriber's wake-up flag; set by the hub when new events may be waiting."""

    def __init__(self) -> None:
        self._woken = asyncio.Event()
        self.closed = False

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        """The hub is going away: end the stream this subscription feeds."""
        self.closed = True
        self._woken.set()

    async def wait(self, timeout: float) -> bool:
        """Wait until woken or ``timeout`` seconds pass; ``True`` if woken.

        The flag is cleared before this returns, so a wake-up that arrives while the
        caller reads the outbox makes the next wait return at once: nothing is missed.
        """
        try:
            await asyncio.wait_for(self._woken.wait(), timeout)
        except TimeoutError:
            return False
        self._woken.clear()
        return True


class EventHub:
    """Watches the outbox for the whole process and wakes every subscriber on a change.

    It also keeps :attr:`horizon`, the id up to which every event that will ever
    commit has committed. Subscribers deliver nothing past it, so an event that
    commits after one with a higher id (PostgreSQL hands out ids at insert, and
    transactions commit in any order) is still delivered, in order, before it:
    a reader's position never jumps over an event. On SQLite writers take turns,
    so the horizon is simply the newest id. An id that stays missing for
    ``gap_timeout`` seconds belonged to a transaction that rolled back.
    """

    def __init__(
        self,
        db: Database,
        *,
        poll_interval: float = 0.05,
        fallback_interval: float = 2.0,
        gap_timeout: float = 5.0,
    ) -> None:
        self._db = db
        self._changes = ChangeWatch(db)
        self._poll_interval = poll_interval
        self._fallback_interval = fallback_interval
        self._gap_timeout = gap_timeout
        self._subscribers: set[Subscription] = set()
        self._has_subscribers: asyncio.Event | None = None
        self._ready: asyncio.Event | None = None
        self._local = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: psycopg.AsyncConnection[Any] | None = None
        self._listen_failed_at = float("-inf")
        self._missing_since: dict[int, float] = {}
        self._stop_local: Callable[[], None] | None = None
        self.horizon = 0
        self._closing = False

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """Register a subscriber for the block; call from the event loop.

        Subscribe *before* reading the backlog: an event committed meanwhile then
        wakes the subscriber instead of slipping between the reading and the wait.
        """
        subscription = Subscription()
        if self._closing:
            subscription.close()
        self._ensure_running()
        self._subscribers.add(subscription)
        assert self._has_subscribers is not None
        self._has_subscribers.set()
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)
            if not self._subscribers:
                self._has_subscribers.clear()

    async def ready(self) -> None:
        """Wait until :attr:`horizon` has been read once."""
        self._ensure_running()
        assert self._ready is not None
        await self._ready.wait()

    def shutdown(self) -> None:
        """End every stream: safe to call from a signal handler or another thread.

        The server waits for open responses before it shuts down, and a stream of
        events never ends by itself, so this comes first.
        """
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing
                self._loop.call_soon_threadsafe(self._close_subscribers)
        else:
            self._closing = True

    def _close_subscribers(self) -> None:
        self._closing = True
        for subscription in list(self._subscribers):
            subscription.close()

    async def aclose(self) -> None:
        """Stop watching and close the listening connection (at app shutdown)."""
        self._close_subscribers()
        if self._stop_local is not None:
            self._stop_local()
            self._stop_local = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_listener()
        self._changes.close()
        self._closing = False  # the app may be started again (tests do)

    def _ensure_running(self) -> None:
        if self._task is not None and not self._task.done():
            return
        # Fresh primitives for the loop now running (tests run one app in several).
        self._loop = asyncio.get_running_loop()
        self._has_subscribers = asyncio.Event()
        if self._subscribers:
            self._has_subscribers.set()
        self._ready = asyncio.Event()
        self._local = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="untxt-event-hub")
        if self._stop_local is None:
            self._stop_local = on_commit(self._committed_here)

    def _committed_here(self, _event_id: int) -> None:
        # Called by whichever thread committed; a commit in this process (a cancel,
        # a submit) wakes streams at once, on any database.
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._local.set)

    async def _run(self) -> None:
        assert self._has_subscribers is not None and self._ready is not None
        while True:
            try:
                self.horizon = await run_in_threadpool(self._latest_id)
                break
            except Exception as exc:  # the database away: streams wait for it
                log.warning("reading the newest event id failed", error=str(exc))
                await asyncio.sleep(self._fallback_interval)
        self._ready.set()
        while True:
            if not self._has_subscribers.is_set():
                await self._idle()
            try:
                await self._wait_for_change()
                horizon = await run_in_threadpool(self._advance)
            except Exception as exc:  # the database away for a moment: keep watching
                log.warning("reading new events failed", error=str(exc))
                await self._close_listener()
                await asyncio.sleep(self._fallback_interval)
                continue
            if horizon > self.horizon:
                self.horizon = horizon
                for subscription in list(self._subscribers):
                    subscription.wake()

    async def _idle(self) -> None:
        """Wait for a subscriber; after a while without one, stop listening, so that
        notifications nobody reads do not pile up on the server."""
        assert self._has_subscribers is not None
        try:
            await asyncio.wait_for(self._has_subscribers.wait(), _LISTEN_IDLE_S)
        except TimeoutError:
            await self._close_listener()
            await self._has_subscribers.wait()

    async def _wait_for_change(self) -> None:
        """Return once new events may have committed (or it is time to look anyway)."""
        if self._db.dialect == "sqlite":
            # Local commits set the flag; the workers' are seen by the watch.
            assert self._has_subscribers is not None
            while self._has_subscribers.is_set():
                if await self._sleep(self._poll_interval) or self._changes.changed():
                    return
            return
        if not self._may_listen():
            await self._sleep(self._poll_interval)
            return
        try:
            fresh = self._listener is None
            listener = await self._listen()
            if fresh:  # events committed before LISTEN began: look now
                return
            if self._local.is_set():
                self._local.clear()
                return
            # A missing id is looked for again soon, not at the slow fallback pace.
            timeout = self._poll_interval * 4 if self._missing_since else self._fallback_interval
            await _notified(listener, timeout)
        except (psycopg.Error, OSError) as exc:
            log.warning("listening for events failed; polling instead", error=str(exc))
            self._listen_failed_at = time.monotonic()
            await self._close_listener()
            await self._sleep(self._poll_interval)

    async def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds``, or less if a commit in this process ends the wait: ``True``
        if one did."""
        woken = False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._local.wait(), seconds)
            woken = True
        self._local.clear()
        return woken

    def _may_listen(self) -> bool:
        return time.monotonic() - self._listen_failed_at > _RELISTEN_AFTER_S

    async def _listen(self) -> psycopg.AsyncConnection[Any]:
        if self._listener is None or self._listener.closed:
            self._listener = await psycopg.AsyncConnection.connect(
                self._db.conninfo(), autocommit=True, connect_timeout=5
            )
            await self._listener.execute(f"LISTEN {EVENTS_CHANNEL}")
        return self._listener

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await self._listener.close()
            self._listener = None

    def _latest_id(self) -> int:
        with self._db.read() as session:
            return latest_event_id(session)

    def _advance(self) -> int:
        """The new horizon (in a thread)."""
        if self._db.dialect != "postgresql":
            return self._latest_id()
        horizon = self.horizon
        now = time.monotonic()
        while True:
            with self._db.read() as session:
                ids = event_ids_after(session, after_id=horizon, limit=_IDS_PER_READ)
            for event_id in ids:
                # A hole: ids in flight, or taken by transactions that rolled back. A
                # long run (a sequence that jumped) is timed as one, from its start.
                hole = range(horizon + 1, event_id)
                for missing in hole if len(hole) <= _LONG_HOLE else hole[:1]:
                    self._missing_since.setdefault(missing, now)
                for missing in hole if len(hole) <= _LONG_HOLE else hole[:1]:
                    if now - self._missing_since[missing] < self._gap_timeout:
                        return self._forget_missing(horizon)
                horizon = event_id
            if len(ids) < _IDS_PER_READ:
                return self._forget_missing(horizon)

    def _forget_missing(self, horizon: int) -> int:
        self._missing_since = {k: v for k, v in self._missing_since.items() if k > horizon}
        return horizon


async def _notified(connection: psycopg.AsyncConnection[Any], timeout: float) -> bool:
    """Whether a notification came within ``timeout``; those queued with it are taken too."""
    # Each loop runs to its end: leaving one early would keep the connection's lock.
    got = False
    async for _ in connection.notifies(timeout=timeout, stop_after=1):
        got = True
    if got:
        async for _ in connection.notifies(timeout=0.001):
            pass
    return got
