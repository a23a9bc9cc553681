"""Where a scrape reads from: this process's memory, or every process's files.

``untxt serve`` runs API processes (``UNTXT_API_PROCESSES``) and OCR worker processes;
``untxt worker`` runs worker processes under one parent. Each process counts on its
own, so these commands switch prometheus-client to multiprocess mode before any
metric is made (:func:`enable_multiprocess`): every process writes its values to
files of one private directory, and a scrape, answered by any one process, sums them
all (:class:`prometheus_client.multiprocess.MultiProcessCollector`). Counters of a
process that died stay counted; its "live" gauges go (:func:`process_gone`).

Under another ASGI server (``uvicorn --factory untxt.app:create_app --workers 4``)
set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory yourself.
"""

from __future__ import annotations

import atexit
import hmac
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, values
from prometheus_client import multiprocess as prom_multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from untxt.logs import get_logger
from untxt.metrics import definitions

log = get_logger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The text format every Prometheus reads (generate_latest writes names it can read).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def multiprocess_dir() -> Path | None:
    """The directory of multiprocess mode, when this process is in it."""
    path = os.environ.get(ENV)
    return Path(path) if path else None


def enable_multiprocess() -> Callable[[], None]:
    """Put this process, and every process it starts from now on, in multiprocess mode.

    The files go to a new directory of this command's own: inside
    ``PROMETHEUS_MULTIPROC_DIR`` when that is set (a tmpfs, say), else in the system's
    temporary directory. Returns the function that removes it, also called at exit.
    """
    if definitions.made():
        raise RuntimeError("multiprocess mode must be chosen before any metric is made")
    parent = os.environ.get(ENV) or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = tempfile.mkdtemp(prefix="untxt-metrics-", dir=parent)
    os.environ[ENV] = path
    # prometheus-client read the variable when it was imported; values made from now
    # on are kept in files.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in a forked API process that exits
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return remove


def process_gone(pid: int) -> None:
    """Forget the live gauges of a process that ended (a worker that died or stopped)."""
    if multiprocess_dir() is not None:
        prom_multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


class _Local:
    """This process's own metrics, for a scrape outside multiprocess mode."""

    def collect(self) -> Iterable[object]:
        definitions.metrics()  # so that a scrape lists them, zero or not
        yield from definitions.LOCAL.collect()


def scrape_registry(*extra: Collector) -> CollectorRegistry:
    """A registry for a scrape: the processes' metrics, then ``extra`` collectors (run
    at each scrape)."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir() is not None:
        definitions.metrics()  # this process's zeros: every metric is listed from the start
        prom_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Local())  # type: ignore[arg-type]
    for collector in extra:
        registry.register(collector)
    return registry


#: Reads of the processes' files before a scrape gives up.
_READS = 3


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry's samples in Prometheus's text format.

    A process that is starting creates its file empty and sizes it a moment later; a
    scrape that reads it in between fails to parse it, and reads again.
    """
    for attempt in range(_READS):
        try:
            return generate_latest(registry)
        except (struct.error, ValueError, OSError):
            if attempt == _READS - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def token_accepted(expected: str | None, authorization: str | None) -> bool:
    """Whether a request may read metrics: no token is configured, or its
    ``Authorization`` header is ``Bearer <token>``."""
    if not expected:
        return True
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )
