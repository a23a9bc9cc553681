"""The job queue: jobs are rows, tasks (pages) are the units of work, all SQL lives here.

- :mod:`untxt.queue.jobs`: submit, read, cancel, delete (client side)
- :mod:`untxt.queue.batches`: jobs submitted together
- :mod:`untxt.queue.idempotency`: Idempotency-Key claims, their answers, their expiry
- :mod:`untxt.queue.lease`: claim and heartbeat (worker side)
- :mod:`untxt.queue.finish`: complete a page, complete a job, fail a task (fenced)
- :mod:`untxt.queue.batch`: claim many tasks, complete many one-page jobs, at once
- :mod:`untxt.queue.reaper`: expired leases run again or fail
- :mod:`untxt.queue.transitions`: job-level final transitions shared by the above
- :mod:`untxt.queue.retry`: the backoff policy
- :mod:`untxt.queue.retention`: finished jobs and unused documents past a cutoff
- :mod:`untxt.queue.notify`: wake-ups for idle workers
- :mod:`untxt.queue.outbox`: the event outbox, written in each state change's transaction
- :mod:`untxt.queue.deliveries`: webhook subscriptions and their deliveries
"""

from untxt.queue.batch import Finished, claim_many, complete_only_pages
from untxt.queue.finish import (
    Outcome,
    StoredResult,
    complete_job,
    complete_only_page,
    complete_page,
    fail_task,
)
from untxt.queue.idempotency import delete_expired_idempotency_keys
from untxt.queue.jobs import enqueue_job
from untxt.queue.lease import Lease, claim, heartbeat
from untxt.queue.reaper import reap_expired
from untxt.queue.retry import RetryPolicy

__all__ = [
    "Finished",
    "Lease",
    "Outcome",
    "RetryPolicy",
    "StoredResult",
    "claim",
    "claim_many",
    "complete_job",
    "complete_only_page",
    "complete_only_pages",
    "complete_page",
    "delete_expired_idempotency_keys",
    "enqueue_job",
    "fail_task",
    "heartbeat",
    "reap_expired",
]
