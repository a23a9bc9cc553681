"""The queue's depth for metrics: unfinished jobs by status and priority, and the age of
the oldest one still waiting for a worker, in one statement run at scrape time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from untxt.queue.statements import ACTIVE, JOBS, run

#: Every priority a job may have (see :class:`untxt.options.JobOptions`).
PRIORITIES = tuple(range(11))

_DEPTH = (
    select(JOBS.c.status, JOBS.c.priority, func.count(), func.min(JOBS.c.created_at))
    .where(JOBS.c.status.in_(ACTIVE))
    .group_by(JOBS.c.status, JOBS.c.priority)
)


@dataclass(frozen=True)
class QueueDepth:
    """Unfinished jobs counted by (status, priority), every pair present, and when the
    oldest queued job was submitted (``None`` when none waits)."""

    jobs: dict[tuple[str, int], int]
    oldest_queued_at: datetime | None

    def oldest_age(self, now: datetime) -> float:
        """Seconds the oldest queued job has waited; 0 when none waits."""
        if self.oldest_queued_at is None:
            return 0.0
        oldest = self.oldest_queued_at
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return max(0.0, (now - oldest).total_seconds())


def queue_depth(session: Session) -> QueueDepth:
    """Queued and processing jobs by priority, and the oldest queued job's submit time."""
    jobs = {(status, priority): 0 for status in ACTIVE for priority in PRIORITIES}
    oldest: datetime | None = None
    rows: list[Any] = list(run(session, _DEPTH))
    for status, priority, count, first in rows:
        jobs[status, int(priority)] = int(count)
        if status == "queued" and first is not None and (oldest is None or first < oldest):
            oldest = first
    return QueueDepth(jobs, oldest)


#: Pages worker pods have to do, now: those being read and those that may run. KEDA
#: runs this on PostgreSQL to scale workers (``deploy/helm/untxt``, ``worker.keda``);
#: the chart's copy is checked against this one.
WORK_FOR_WORKERS = (
    "SELECT count(*) FROM tasks"
    " WHERE status = 'processing' OR (status = 'queued' AND run_after <= now())"
)
