"""A response's head and body in one write to the socket, not two.

uvicorn writes a response's status line and headers when the app sends
``http.response.start``, and its body at ``http.response.body``: two system calls,
and two TCP segments, for every small answer. On loopback each one runs the whole
receive path and wakes the client, and the two writes were 6% of the time an API
process held the interpreter lock under a stream of submits (bench/README.md).

:class:`CoalescingTransport` holds a small write until the next write or the end of
the event loop's current step, whichever comes first, and sends what it held with
it. A held write is at most :data:`HOLD_AT_MOST` bytes and waits for no I/O: the
loop runs its ready callbacks before it polls again.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.auto import AutoHTTPProtocol

#: The largest write that is held back for the next one: a response's head.
HOLD_AT_MOST = 4096
#: The largest write that a held one is joined to (a copy); a larger one follows it.
JOIN_AT_MOST = 65536


class CoalescingTransport(asyncio.Transport):
    """``transport``, its writes of one event loop step sent together."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held:
            self._held = b""
            if len(data) <= JOIN_AT_MOST:
                self._transport.write(held + bytes(data))
                return
            self._transport.write(held)
        elif 0 < len(data) <= HOLD_AT_MOST and not self._transport.is_closing():
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def flush(self) -> None:
        """Send what is held now."""
        held = self._held
        self._held = b""
        # A connection that the client reset meanwhile takes no more writes.
        if held and not self._transport.is_closing():
            self._transport.write(held)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = b""
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


class CoalescingHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP/1.1 protocol writing through a :class:`CoalescingTransport`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio's, though they are ones.
        stream = cast(asyncio.Transport, transport)
        super().connection_made(CoalescingTransport(stream, self.loop))
