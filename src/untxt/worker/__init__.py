"""Workers: the claim-run loop, its heartbeat, and the process pool.

- :mod:`untxt.worker.loop`: claim a task (or several), run it, repeat; reap
- :mod:`untxt.worker.runner`: one task: a page read, or a job assembled and rendered
- :mod:`untxt.worker.fields`: a job's fields, with its owner's templates
- :mod:`untxt.worker.keeper`: leases kept alive while the engine works
- :mod:`untxt.worker.pool`: one worker process per core

Its SQL is the queue's (:mod:`untxt.queue`); reading and rendering are the pipeline's.
"""

from untxt.worker.loop import Worker
from untxt.worker.pool import WorkerPool

__all__ = ["Worker", "WorkerPool"]
