"""Connections handed by ``untxt serve``'s parent to the API process with the fewest open.

With several API processes on one port, who serves a connection decides who waits:
HTTP clients keep their connections open, and each request of a connection is answered
by the process that took it. Sockets of their own on the port (``SO_REUSEPORT``) let
the kernel pick by a hash of the addresses, so 16 clients were split 12 to 4 as often
as not, and the 12 waited three times as long as the 4 (bench/submit.py: a p50 of
40 ms against 13 ms, in one run). One socket that all accept on lets the quickest
process take every connection at once.

So the parent accepts, and passes each connection (its file descriptor, over a Unix
socket pair per process) to the process with the fewest open at that moment, ties in
turn. Each process says over the same pair when one of its connections closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import selectors
import socket
from collections.abc import Callable
from typing import Any

from untxt.logs import get_logger

log = get_logger(__name__)
# Connections taken from the listening socket per wake-up, so that a flood of them
# still lets the parent look after its processes.
_ACCEPTS_PER_WAKE = 256
# What goes with a connection's descriptor, and what says one closed.
_HANDED = b"h"
_CLOSED = b"c"


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """A parent's and a process's ends of the pair that connections pass over."""
    # Datagrams in order: each connection and each close is one message.
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    parent.setblocking(False)
    child.setblocking(False)
    return parent, child


class Handoff:
    """The parent's side: accept on the port, hand each connection to a process."""

    def __init__(self, listener: socket.socket) -> None:
        listener.setblocking(False)
        self.listener = listener
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ)
        self._channels: dict[int, socket.socket] = {}
        self._open: dict[int, int] = {}
        self._turn = 0

    def attach(self, index: int, channel: socket.socket) -> None:
        """Hand connections to process ``index`` from now on, over ``channel``."""
        self.detach(index)
        self._channels[index] = channel
        self._open[index] = 0
        self._selector.register(channel, selectors.EVENT_READ, index)

    def detach(self, index: int) -> None:
        """Hand process ``index`` nothing more (it died or is being replaced)."""
        channel = self._channels.pop(index, None)
        self._open.pop(index, None)
        if channel is not None:
            self._selector.unregister(channel)
            channel.close()

    def forget(self) -> None:
        """Close, in a newly forked API process, the parent's copies of the port and
        channels (closing only: unregistering would change the parent's selector)."""
        self._selector.close()
        for sock in (self.listener, *self._channels.values()):
            sock.close()

    def serve(self, timeout: float) -> None:
        """Hand over what arrives within ``timeout`` seconds, and note what closed."""
        for key, _ in self._selector.select(timeout):
            if key.fileobj is self.listener:
                self._accept()
            else:
                self._closed(key.data)

    def close(self) -> None:
        for index in list(self._channels):
            self.detach(index)
        self._selector.close()
        self.listener.close()

    def _accept(self) -> None:
        for _ in range(_ACCEPTS_PER_WAKE):
            try:
                connection, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors: the connection waits in the backlog
                log.warning("accept failed", error=str(exc))
                return
            with connection:
                self._hand(connection)

    def _hand(self, connection: socket.socket) -> None:
        order = sorted(
            self._open,
            key=lambda index: (self._open[index], (index - self._turn) % (len(self._open) or 1)),
        )
        for index in order:
            try:
                socket.send_fds(self._channels[index], [_HANDED], [connection.fileno()])
            except OSError:
                continue  # that process is gone or not reading: the next one
            self._open[index] += 1
            self._turn = index + 1
            return
        log.warning("no api process took a connection; closed it")

    def _closed(self, index: int) -> None:
        channel = self._channels.get(index)
        while channel is not None:
            try:
                message = channel.recv(16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message = b""
            if not message:
                # The process is gone; the parent starts another and attaches it.
                self.detach(index)
                return
            self._open[index] = max(0, self._open[index] - 1)


class Adopter:
    """An API process's side: serve the connections the parent hands over."""

    def __init__(
        self,
        channel: socket.socket,
        protocol: Callable[[], asyncio.Protocol],
        *,
        parent_gone: Callable[[], None],
    ) -> None:
        self._channel = channel
        self._protocol = protocol
        self._parent_gone = parent_gone
        self._loop: asyncio.AbstractEventLoop | None = None
        self._adopting: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._channel.fileno(), self._receive)

    def stop(self) -> None:
        """Take no more connections; those open are served on until they close."""
        if self._loop is not None:
            self._loop.remove_reader(self._channel.fileno())
            self._loop = None

    def _receive(self) -> None:
        assert self._loop is not None
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self._channel, 16, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # Reset: the parent exited with this process's notes of closed
                # connections unread. Gone all the same.
                message, fds = b"", []
            if not message:
                # The parent is gone: nobody hands this process more connections.
                self.stop()
                self._parent_gone()
                return
            for fd in fds:
                connection = socket.socket(fileno=fd)
                connection.setblocking(False)
                task = self._loop.create_task(
                    self._loop.connect_accepted_socket(self._counted, connection)
                )
                self._adopting.add(task)
                task.add_done_callback(functools.partial(self._adopted, connection))

    def _adopted(self, connection: socket.socket, task: asyncio.Task[Any]) -> None:
        self._adopting.discard(task)
        if task.cancelled() or task.exception() is not None:
            connection.close()  # no transport took it
            self._tell_closed()

    def _counted(self) -> asyncio.Protocol:
        """The server's protocol for a connection, telling the parent when it closes."""
        protocol = self._protocol()
        lost = protocol.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            try:
                lost(exc)
            finally:
                self._tell_closed()

        protocol.connection_lost = connection_lost  # type: ignore[method-assign]
        return protocol

    def _tell_closed(self) -> None:
        # The parent gone or behind: its count is only a guide.
        with contextlib.suppress(OSError):
            self._channel.send(_CLOSED)
