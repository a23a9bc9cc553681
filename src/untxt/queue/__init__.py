"""The job queue: jobs are rows, tasks (pages) are the units of work, all its SQL lives here.

- :mod:`untxt.queue.jobs`: submit, read, cancel, delete (client side)
- :mod:`untxt.queue.submit_pg`: a submit on PostgreSQL in one statement
- :mod:`untxt.queue.cache`: the result cache a repeated submit is answered from
- :mod:`untxt.queue.batches`: jobs submitted together
- :mod:`untxt.queue.idempotency`: Idempotency-Key claims, their answers, their expiry
- :mod:`untxt.queue.listing`: pages of jobs, counts, queue positions
- :mod:`untxt.queue.lease`: claim and heartbeat (worker side)
- :mod:`untxt.queue.work`: what a worker reads to run a task
- :mod:`untxt.queue.finish`: complete a page, complete a job, fail a task (fenced)
- :mod:`untxt.queue.batch`: claim many tasks, complete many one-page jobs, at once
  (:mod:`untxt.queue.batch_pg`: each in one statement on PostgreSQL)
- :mod:`untxt.queue.reaper`: expired leases run again or fail
- :mod:`untxt.queue.transitions`: job-level final transitions shared by the above
- :mod:`untxt.queue.retry`: the backoff policy
- :mod:`untxt.queue.statements`: the statements jobs flow through, each built once and named
- :mod:`untxt.queue.retention`: finished jobs and unused documents past a cutoff
- :mod:`untxt.queue.notify`: wake-ups for idle workers
- :mod:`untxt.queue.outbox`, :mod:`untxt.queue.outbox_many`: the event outbox, written in
  each state change's transaction (what reads and delivers it is in :mod:`untxt.events`)
- :mod:`untxt.queue.counts`, :mod:`untxt.queue.depth`, :mod:`untxt.queue.overview`,
  :mod:`untxt.queue.usage`: counts for quotas, metrics, admins and usage reports
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
