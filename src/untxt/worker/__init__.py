"""Workers: the claim-run loop, its heartbeat, and the process pool."""

from untxt.worker.loop import Worker
from untxt.worker.pool import WorkerPool

__all__ = ["Worker", "WorkerPool"]
