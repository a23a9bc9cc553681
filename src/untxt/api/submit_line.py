"""The uploads of an API process, in line: each one's file work, then the rows of all
those ready together in one write transaction.

A write transaction costs a submit more than its rows: the session, ``BEGIN`` and
``COMMIT``, the write lock handed between processes, and on SQLite the log pages of
every table and index it touched, written again by each transaction. Under load a
process's uploads queue for their turn anyway; the rows of those whose files are
ready share one transaction, so each pays a part of it. At 16 clients on an
API-only node this gave 665 submits/s instead of 383, at 2.5 ms of CPU each instead
of 4.3, and a p99 of 44 ms instead of 68 (bench/README.md). A submit that fails
makes the whole transaction fail: its members are then committed one by one, so
that each gets its own answer and nothing is lost or written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import Response
from sqlalchemy.orm import Session

from untxt.api.deps import AppState
from untxt.api.idempotency import BoundKey
from untxt.api.submit import Accepted, answer, run_create, submit
from untxt.api.uploads import Upload
from untxt.logs import get_logger

log = get_logger(__name__)

# Uploads whose rows one transaction writes at most: enough to share the transaction's
# cost among a process's waiting clients, few enough that the first is not held long.
_MAX_BATCH = 8


@dataclass(frozen=True)
class Prepared:
    """An upload whose bytes are stored and whose rows ``create`` writes."""

    owner: str
    key: BoundKey | None
    create: Callable[[Session], Accepted]
    upload: Upload


_Answer = tuple[Response, Upload]
# What the inbox gives a thread to make it stop.
_STOP = None


@dataclass(frozen=True)
class _Item:
    prepare: Callable[[], Prepared]
    future: asyncio.Future[_Answer]
    # The request's context (its id in the log, its trace), as a thread of anyio's has.
    context: contextvars.Context


@dataclass(frozen=True)
class _Ready:
    prepared: Prepared
    item: _Item


class SubmitLine:
    """Threads that take uploads in arrival order (one, on a local disk: see
    :func:`untxt.api.deps.submit_slots`)."""

    def __init__(self, state: AppState, threads: int) -> None:
        self._state = state
        self._threads = threads
        self._inbox: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid = 0

    async def run(self, prepare: Callable[[], Prepared]) -> tuple[Response, Upload]:
        """``prepare`` (the file work) on a thread of the line, then the rows; the answer."""
        self._start()
        future: asyncio.Future[_Answer] = asyncio.get_running_loop().create_future()
        self._inbox.put(_Item(prepare, future, contextvars.copy_context()))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # As with a thread of anyio's: the request's upload stays open until the line
            # is done with it, and a submit that commits is not left half done.
            await asyncio.wait([future])
            raise

    def close(self) -> None:
        """Stop the threads once they are done with the uploads already in line (the
        next upload starts new ones)."""
        with self._lock:
            if self._pid == os.getpid():
                for _ in range(self._threads):
                    self._inbox.put(_STOP)
            self._pid = 0

    def _start(self) -> None:
        # Threads do not cross a fork: each process starts its own, on first use.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid != os.getpid():
                self._inbox = queue.SimpleQueue()
                for index in range(self._threads):
                    threading.Thread(
                        target=self._serve,
                        args=(self._inbox,),
                        name=f"untxt-submit-{index}",
                        daemon=True,
                    ).start()
                self._pid = os.getpid()

    def _serve(self, inbox: queue.SimpleQueue[_Item | None]) -> None:
        stopping = False
        while not stopping:
            ready: list[_Ready] = []
            item = inbox.get()
            # Uploads that arrive while these are prepared join them, up to the batch's size.
            while item is not _STOP:
                try:
                    ready.append(_Ready(item.context.run(item.prepare), item))
                except BaseException as exc:
                    _deliver(item.future, exc)
                if len(ready) >= _MAX_BATCH:
                    break
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
            stopping = item is _STOP
            if len(ready) > 1 and self._commit_together(ready):
                continue
            for each in ready:
                self._commit_alone(each)

    def _commit_together(self, ready: list[_Ready]) -> bool:
        """Commit the rows of ``ready`` in one transaction; ``False`` if it failed, with
        nothing written."""
        state = self._state
        try:
            with state.db.write() as session:
                outcomes = [
                    each.item.context.run(
                        run_create,
                        session,
                        state,
                        owner=each.prepared.owner,
                        key=each.prepared.key,
                        create=each.prepared.create,
                    )
                    for each in ready
                ]
        except BaseException:
            log.debug("submits failed together; they are tried one by one", exc_info=True)
            return False
        for each, outcome in zip(ready, outcomes, strict=True):
            _finish(each, partial(answer, state, outcome))
        return True

    def _commit_alone(self, each: _Ready) -> None:
        prepared = each.prepared
        _finish(
            each,
            partial(
                submit, self._state, owner=prepared.owner, key=prepared.key, create=prepared.create
            ),
        )


def _finish(each: _Ready, respond: Callable[[], Response]) -> None:
    """Run ``respond`` in the request's context and hand its answer, or its error, over."""
    try:
        response = each.item.context.run(respond)
    except BaseException as exc:
        _deliver(each.item.future, exc)
    else:
        _deliver(each.item.future, (response, each.prepared.upload))


def _deliver(future: asyncio.Future[Any], outcome: Any) -> None:
    """Hand ``outcome`` (an answer or the error to raise) to the request's loop."""

    def settle() -> None:
        if future.done():  # the client left
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    # A closed loop (RuntimeError) has nobody waiting any more.
    with contextlib.suppress(RuntimeError):
        future.get_loop().call_soon_threadsafe(settle)
