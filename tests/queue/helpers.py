"""Small helpers for the queue tests: create jobs, claim, read rows back."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from untxt.db import Database
from untxt.db.documents import add_document
from untxt.db.models import DocumentRow, EventRow, JobRow, ResultRow, TaskRow, WebhookDeliveryRow
from untxt.db.types import utcnow
from untxt.events import subscriptions
from untxt.events.webhooks import new_secret
from untxt.options import JobOptions
from untxt.queue import (
    Lease,
    Outcome,
    RetryPolicy,
    StoredResult,
    claim,
    complete_job,
    complete_page,
    reap_expired,
)
from untxt.queue.finish import PageDone
from untxt.queue.jobs import enqueue_job

TTL = 30.0
OWNER = "alice"
#: Retry delays of at most 4 s: moving time 5 s on makes any retried task runnable.
POLICY = RetryPolicy(max_attempts=3, base=1.0, cap=4.0)


def later(now: datetime, seconds: float) -> datetime:
    """``now`` moved forward by ``seconds``."""
    return now + timedelta(seconds=seconds)


def png_document(
    db: Database, now: datetime, *, sha256: str, owner: str = OWNER, size: int = 1234
) -> DocumentRow:
    """The owner's uploaded one-page PNG of content ``sha256`` (one row per owner and
    content: a second upload of it returns the first's)."""
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=owner,
            sha256=sha256,
            filename="scan.png",
            media_type="image/png",
            size=size,
            pages=1,
            now=now,
        )
    return document


def make_job(
    db: Database,
    now: datetime,
    *,
    pages: int = 1,
    priority: int = 5,
    max_attempts: int = 3,
    owner: str = OWNER,
    webhook_url: str | None = None,
) -> str:
    """Upload a fresh document and enqueue a job on it; returns the job id."""
    with db.write() as session:
        document, _ = add_document(
            session,
            owner=owner,
            sha256=uuid.uuid4().hex * 2,
            filename="scan.pdf",
            media_type="application/pdf",
            size=1234,
            pages=pages,
            now=now,
        )
        job = enqueue_job(
            session,
            owner=owner,
            document=document,
            options=JobOptions(priority=priority, webhook_url=webhook_url),
            max_attempts=max_attempts,
            now=now,
        )
        return job.id


def claim_one(db: Database, worker: str, now: datetime, ttl: float = TTL) -> Lease | None:
    """Claim one task as ``worker`` in its own transaction."""
    with db.write() as session:
        return claim(session, owner=worker, ttl=ttl, now=now)


def must_claim(db: Database, worker: str, now: datetime, ttl: float = TTL) -> Lease:
    """Claim one task; fail the test if there is none."""
    lease = claim_one(db, worker, now, ttl)
    assert lease is not None, f"{worker} found nothing to claim"
    return lease


def reap(db: Database, now: datetime, policy: RetryPolicy = POLICY) -> int:
    """Run the reaper once in its own transaction; returns how many tasks it reaped."""
    with db.write() as session:
        return reap_expired(session, policy=policy, now=now)


def finish_page(db: Database, lease: Lease, now: datetime, ttl: float = TTL) -> PageDone:
    """Complete a page with a result key derived from the lease."""
    key = f"pages/{lease.job_id}/{lease.page}/{lease.attempts}"
    with db.write() as session:
        return complete_page(session, lease, result_key=key, ttl=ttl, now=now)


def results_for(tag: str) -> list[StoredResult]:
    """Two stored results whose blob keys carry ``tag``."""
    return [
        StoredResult("text", f"results/{tag}/text", "text/plain", 10),
        StoredResult("json", f"results/{tag}/json", "application/json", 20),
    ]


def finish_job(db: Database, lease: Lease, now: datetime, tag: str = "r") -> Outcome:
    """Complete the job held by an assemble lease with :func:`results_for` ``tag``."""
    with db.write() as session:
        return complete_job(session, lease, results=results_for(tag), now=now)


def job_row(db: Database, job_id: str) -> JobRow:
    """The job row as stored now."""
    with db.read() as session:
        job = session.get(JobRow, job_id)
        assert job is not None
        return job


def task_rows(db: Database, job_id: str) -> list[TaskRow]:
    """The job's tasks, in page order (the assemble task, page 0, first)."""
    with db.read() as session:
        return list(
            session.scalars(select(TaskRow).where(TaskRow.job_id == job_id).order_by(TaskRow.page))
        )


def task_row(db: Database, task_id: int) -> TaskRow:
    """One task row as stored now."""
    with db.read() as session:
        task = session.get(TaskRow, task_id)
        assert task is not None
        return task


def result_rows(db: Database, job_id: str) -> list[ResultRow]:
    """The job's stored results, by format."""
    with db.read() as session:
        return list(
            session.scalars(
                select(ResultRow).where(ResultRow.job_id == job_id).order_by(ResultRow.format)
            )
        )


def subscribe(db: Database, *, owner: str = OWNER, types: list[str] | None = None) -> str:
    """Subscribe ``owner`` to ``types`` (all: ``None``) at a URL named for the owner."""
    with db.write() as session:
        return subscriptions.create_subscription(
            session,
            owner=owner,
            url=f"https://{owner}.example.com/hook",
            event_types=types,
            secret=new_secret(),
            now=utcnow(),
        ).id


def fanned_out(db: Database) -> list[tuple[str | None, str, str]]:
    """(subscription, event type, url) of every delivery, in creation order."""
    with db.read() as session:
        rows = session.execute(
            select(WebhookDeliveryRow.subscription_id, EventRow.type, WebhookDeliveryRow.url)
            .join(EventRow, EventRow.id == WebhookDeliveryRow.event_id)
            .order_by(WebhookDeliveryRow.id)
        ).all()
    return [(r[0], r[1], r[2]) for r in rows]
