"""An API process's side of the handoff, on a real channel pair."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import uvloop

from untxt.handoff import Adopter, channel_pair


@pytest.mark.parametrize(
    "loop_factory", [asyncio.new_event_loop, uvloop.new_event_loop], ids=["asyncio", "uvloop"]
)
@pytest.mark.parametrize("unread", [False, True], ids=["closed", "closed-unread"])
def test_adopter_takes_a_parent_that_exits_as_gone(
    loop_factory: Callable[[], asyncio.AbstractEventLoop], unread: bool
) -> None:
    """A parent that exits with this process's notes unread resets the channel rather
    than closing it: the process is told the parent is gone either way, and the loop
    logs no error."""
    errors: list[dict[str, object]] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: errors.append(context))
        parent, child = channel_pair()
        gone = loop.create_future()
        adopter = Adopter(child, asyncio.Protocol, parent_gone=lambda: gone.set_result(True))
        adopter.start()
        if unread:
            child.send(b"c")  # a note of a closed connection that the parent never reads
        parent.close()
        assert await asyncio.wait_for(gone, 5)
        child.close()

    loop = loop_factory()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert errors == []
