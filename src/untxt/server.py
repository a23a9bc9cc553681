"""Running the API: one uvicorn process, or several on one port.

A submit costs a few milliseconds of Python; one process answers from one core. On
an API-only node (``--workers 0``) ``untxt serve`` therefore starts one API process
per CPU by default (``UNTXT_API_PROCESSES``): the parent binds the port, forks the
API processes, accepts the connections and hands each to the process with the fewest
open (:mod:`untxt.handoff`), and supervises them, starting again any that dies.
Everything they share lives in the database and storage; per process are the rate
limiter's memory (unless ``UNTXT_REDIS_URL`` is set) and the event hub, which follows
other processes' commits as it follows the workers'.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from untxt import heap
from untxt.config import Settings, cpu_count
from untxt.db.session import Database
from untxt.handoff import Adopter, Handoff, channel_pair
from untxt.logs import get_logger
from untxt.queue.notify import Notifier

log = get_logger(__name__)
# How often the parent looks for API processes that died.
_SUPERVISE_INTERVAL_S = 0.5
# How long the parent waits for its API processes to finish their requests.
_STOP_GRACE_S = 30.0
_STOPS = (signal.SIGTERM, signal.SIGINT)


def api_process_count(settings: Settings) -> int:
    """How many API processes ``untxt serve`` runs with these settings."""
    if settings.api_processes:
        return settings.api_processes
    return cpu_count() if settings.workers == 0 else 1


def _uvicorn_server() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """Uvicorn without its signal capture, which re-raises the signal after shutdown
        and so would end this process before the worker pool is stopped; given a
        channel, it serves the connections the parent hands over instead of a port."""

        def __init__(self, config: uvicorn.Config, channel: socket.socket | None) -> None:
            super().__init__(config)
            self.channel = channel
            self.adopter: Adopter | None = None

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[] if self.channel is not None else sockets)
            if self.channel is None or not self.started:
                return

            def protocol() -> asyncio.Protocol:
                make: Callable[..., asyncio.Protocol] = self.config.http_protocol_class
                return make(
                    config=self.config,
                    server_state=self.server_state,
                    app_state=self.lifespan.state,
                )

            def parent_gone() -> None:
                self.should_exit = True

            self.adopter = Adopter(self.channel, protocol, parent_gone=parent_gone)
            self.adopter.start()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            if self.adopter is not None:
                self.adopter.stop()
            await super().shutdown(sockets=sockets)

    return Server


def _serve(
    settings: Settings, db: Database, notifier: Notifier | None, channel: socket.socket | None
) -> None:
    """Run the API in this process until SIGTERM or SIGINT."""
    import uvicorn

    from untxt.api.uploads import warm_up
    from untxt.app import create_app
    from untxt.http_writes import CoalescingHTTPProtocol

    api = create_app(settings, db=db, notifier=notifier)
    # Before the heap is settled: what the engines load stays for the process's life.
    warm_up(api.state.untxt)
    heap.settle()
    # JSON logs: uvicorn's lines (the access log) go through the JSON handler of
    # untxt.logs, with the request id, rather than its own text handlers.
    server = _uvicorn_server()(
        uvicorn.Config(
            api,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            http=CoalescingHTTPProtocol,
            log_config=None if settings.log_json else uvicorn.config.LOGGING_CONFIG,
        ),
        channel,
    )
    hub = api.state.event_hub

    def stop(sig: int, frame: Any) -> None:
        # Event streams never end by themselves, and the server waits for them.
        hub.shutdown()
        server.handle_exit(sig, frame)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    server.run()


def _listen(settings: Settings) -> socket.socket:
    """The API's port, on which the parent accepts for its API processes."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    return sock


def run_api(
    settings: Settings,
    db: Database,
    notifier: Notifier | None,
    *,
    before_serving: Callable[[], None] = lambda: None,
) -> None:
    """Serve the API until SIGTERM or SIGINT, in this process or in several.

    ``before_serving`` runs once the API processes are forked (threads must not be
    started before a fork): the place to start the OCR worker pool's supervisor.
    """
    count = api_process_count(settings)
    if count == 1:
        before_serving()
        _serve(settings, db, notifier, None)
        return
    # Bound before any fork, so that a port in use is reported at once.
    handoff = Handoff(_listen(settings))
    # Connections must not cross a fork: each API process opens its own.
    db.dispose()
    children = {_fork(settings, notifier, handoff, index): index for index in range(count)}
    before_serving()
    log.info("api processes started", processes=count)
    stopping = False

    def stop(sig: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping:
            handoff.serve(_SUPERVISE_INTERVAL_S)
            for pid in list(children):
                done, status = os.waitpid(pid, os.WNOHANG)
                if not done:
                    continue
                index = children.pop(pid)
                handoff.detach(index)
                # A signal to the whole group (Ctrl-C, a service manager) stops the API
                # processes too, and they exit cleanly: only one that died of something
                # else is started again.
                if stopping or _stopped(status):
                    stopping = True
                    continue
                log.error("api process died; restarting", pid=pid, status=status)
                children[_fork(settings, notifier, handoff, index)] = index
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        # Connections still waiting to be accepted are refused rather than left hanging.
        handoff.close()
        _stop(children)


def _stopped(status: int) -> bool:
    """Whether an API process ended because it was told to stop."""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status) == 0
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) in _STOPS


def _fork(settings: Settings, notifier: Notifier | None, handoff: Handoff, index: int) -> int:
    parent_end, child_end = channel_pair()
    pid = os.fork()
    if pid:
        child_end.close()
        handoff.attach(index, parent_end)
        return pid
    code = 0
    try:
        # The port and the other processes' channels are the parent's alone.
        parent_end.close()
        handoff.forget()
        _serve(settings, Database(settings.database_url), notifier, child_end)
    except BaseException:
        log.exception("api process failed", index=index)
        code = 1
    finally:
        os._exit(code)


def _stop(children: dict[int, int]) -> None:
    """SIGTERM the API processes and wait for them to finish what they are answering."""
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + _STOP_GRACE_S
    for pid in children:
        try:
            while time.monotonic() < deadline:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            continue  # gone already
