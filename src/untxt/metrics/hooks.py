"""What the rest of untxt calls where something worth counting happens.

Each is one call at the place of the event (a submit, a page read, a retry, a webhook
attempt). Job transitions are counted from the event outbox, which every job state
change passes through: :func:`job_event` notes the event in the session, and the
count happens only once the transaction commits, so a rolled-back change (a lost
lease, a failed write) is never counted. A metric that fails to record is logged,
never raised: counting must not fail the work it counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ParamSpec

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from untxt.logs import get_logger
from untxt.metrics.definitions import metrics

log = get_logger(__name__)

P = ParamSpec("P")

_PENDING = "untxt_metrics_pending"
#: Job event types that end a job, and the outcome each is counted under.
_FINAL = {"job.completed": "completed", "job.failed": "failed", "job.cancelled": "cancelled"}


def _safe(function: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            function(*args, **kwargs)
        except Exception as exc:  # a full disk, a removed metrics directory
            log.warning("metric not recorded", metric=function.__name__, error=str(exc))

    return wrapper


def _seconds(since: datetime, now: datetime) -> float:
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (now - since).total_seconds())


@_safe
def jobs_submitted(count: int) -> None:
    """``count`` jobs were accepted (committed) by a submit."""
    metrics().jobs_submitted.inc(count)


def job_event(session: Session, type: str, job: Any, now: datetime) -> None:
    """An event of ``type`` about ``job`` (a jobs row) is written in ``session``'s
    transaction: its job started (queue wait) or ended (outcome, duration), counted
    when the transaction commits."""
    if type == "job.processing" or type in _FINAL:
        session.info.setdefault(_PENDING, []).append((type, job.created_at, now))


@_safe
def _record_job_event(type: str, created_at: datetime, now: datetime) -> None:
    seconds = _seconds(created_at, now)
    if type == "job.processing":
        metrics().job_queue_wait_seconds.observe(seconds)
        return
    outcome = _FINAL[type]
    metrics().jobs_finished.labels(outcome).inc()
    metrics().job_duration_seconds.labels(outcome).observe(seconds)


@_safe
def page_read(engine: str, seconds: float) -> None:
    """A worker read a page with ``engine`` in ``seconds``."""
    metrics().pages_processed.labels(engine).inc()
    metrics().page_ocr_seconds.labels(engine).observe(seconds)


@_safe
def task_retried(reason: str) -> None:
    """A failed task was queued again (committed): ``error`` or ``lease_expired``."""
    metrics().task_retries.labels(reason).inc()


def task_retried_on_commit(session: Session, reason: str) -> None:
    """A failed task is queued again in ``session``'s transaction; counted at commit."""
    session.info.setdefault(_PENDING, []).append(("retry", reason, None))


@_safe
def webhook_attempt(status_code: int | None, *, retry: bool) -> None:
    """A webhook delivery attempt was recorded: answered ``status_code`` (``None``: no
    answer), with another try scheduled or not."""
    if status_code is not None and 200 <= status_code < 300:
        outcome = "delivered"
    elif status_code == 410:
        outcome = "gone"
    else:
        outcome = "retry" if retry else "failed"
    metrics().webhook_deliveries.labels(outcome).inc()


@_safe
def worker_running(running: bool) -> None:
    """This process's OCR worker started (``True``) or stopped."""
    metrics().workers_alive.set(1 if running else 0)


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    for kind, first, second in pending or ():
        if kind == "retry":
            task_retried(first)
        else:
            _record_job_event(kind, first, second)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
