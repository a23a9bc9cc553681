"""The coalescing transport, on real sockets of asyncio's event loop and of uvloop's,
which ``untxt serve`` runs."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvloop

from untxt.http_writes import HOLD_AT_MOST, JOIN_AT_MOST, CoalescingTransport


class Recorded(asyncio.Transport):
    """A real transport whose writes are counted on their way through."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self.transport = transport
        self.writes: list[int] = []

    def write(self, data: Any) -> None:
        self.writes.append(len(data))
        self.transport.write(data)

    def close(self) -> None:
        self.transport.close()

    def abort(self) -> None:
        self.transport.abort()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size()


Scenario = Callable[[CoalescingTransport, Recorded, socket.socket], Awaitable[None]]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Callable[[Scenario], None]:
    factory = uvloop.new_event_loop if request.param == "uvloop" else asyncio.new_event_loop
    return lambda scenario: running(scenario, factory)


def running(scenario: Scenario, loop_factory: Callable[[], asyncio.AbstractEventLoop]) -> None:
    """``scenario`` with a coalescing transport on one end of a socket pair and the other
    end, blocking, to read from."""

    async def main() -> None:
        ours, theirs = socket.socketpair()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        recorded = Recorded(transport)  # type: ignore[arg-type]
        try:
            await scenario(CoalescingTransport(recorded, loop), recorded, theirs)
        finally:
            transport.close()
            theirs.close()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())


def read_exactly(sock: socket.socket, size: int) -> bytes:
    sock.settimeout(5)
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "the connection ended early"
        data += chunk
    return data


def test_a_head_and_body_written_in_one_step_go_out_in_one_write(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(
        coalescing: CoalescingTransport, recorded: Recorded, peer: socket.socket
    ) -> None:
        coalescing.write(b"HTTP/1.1 202 Accepted\r\n\r\n")
        coalescing.write(b'{"id": "job_1"}')
        assert recorded.writes == [len(b"HTTP/1.1 202 Accepted\r\n\r\n") + 15]
        received = await asyncio.to_thread(read_exactly, peer, recorded.writes[0])
        assert received.endswith(b'{"id": "job_1"}')
        await asyncio.sleep(0.01)
        assert len(recorded.writes) == 1

    run(scenario)


def test_a_small_write_alone_goes_out_at_the_end_of_the_step(
    run: Callable[[Scenario], None],
) -> None:
    async def scenario(
        coalescing: CoalescingTransport, recorded: Recorded, peer: socket.socket
    ) -> None:
        coalescing.write(b"data: 1\n\n")
        assert recorded.writes == []
        assert coalescing.get_write_buffer_size() == len(b"data: 1\n\n")
        await asyncio.sleep(0)
        assert recorded.writes == [len(b"data: 1\n\n")]
        assert await asyncio.to_thread(read_exactly, peer, 9) == b"data: 1\n\n"

    run(scenario)


def test_a_large_write_is_not_held_and_one_too_large_to_join_follows_the_held_one(
    run: Callable[[Scenario], None],
) -> None:
    large = b"x" * (HOLD_AT_MOST + 1)
    too_large = b"y" * (JOIN_AT_MOST + 1)

    async def scenario(
        coalescing: CoalescingTransport, recorded: Recorded, peer: socket.socket
    ) -> None:
        coalescing.write(large)
        assert recorded.writes == [len(large)]
        coalescing.write(b"head")
        coalescing.write(too_large)
        assert recorded.writes == [len(large), 4, len(too_large)]
        received = await asyncio.to_thread(read_exactly, peer, len(large) + 4 + len(too_large))
        assert received == large + b"head" + too_large

    run(scenario)


def test_closing_sends_what_is_held_first_and_aborting_drops_it(
    run: Callable[[Scenario], None],
) -> None:
    async def closing(
        coalescing: CoalescingTransport, recorded: Recorded, peer: socket.socket
    ) -> None:
        coalescing.write(b"last words")
        coalescing.close()
        assert await asyncio.to_thread(read_exactly, peer, 10) == b"last words"
        assert await asyncio.to_thread(peer.recv, 1) == b""  # and then the end of the stream

    async def aborting(
        coalescing: CoalescingTransport, recorded: Recorded, peer: socket.socket
    ) -> None:
        coalescing.write(b"never sent")
        coalescing.abort()
        await asyncio.sleep(0.01)
        assert recorded.writes == []
        peer.settimeout(5)
        assert await asyncio.to_thread(peer.recv, 16) == b""

    run(closing)
    run(aborting)
