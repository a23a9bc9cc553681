"""``/v1/admin``: what the whole service holds, how its queue is doing and who uses it,
for admins."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from untxt.api.deps import AdminDep, StateDep
from untxt.auth import keys, users
from untxt.db.types import utcnow
from untxt.queue import overview
from untxt.queue.overview import queue_stats

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class StatsOut(BaseModel):
    """Counts across every owner."""

    jobs: dict[str, int] = Field(description="Jobs by status.")
    tasks: dict[str, int] = Field(description="Units of work (pages) by status.")
    oldest_queued_at: datetime | None = Field(
        description="When the oldest job still waiting was submitted."
    )
    queue_age_seconds: float | None = Field(description="How long that job has waited.")
    expired_leases: int = Field(
        description="Pages held by a worker whose lease ran out; the reaper returns them."
    )
    documents: int = Field(description="Live (not deleted) documents.")
    users: dict[str, int] = Field(description="Users by role.")
    api_keys: int = Field(description="Keys neither revoked nor expired.")


@router.get("/stats", response_model=StatsOut)
def stats(state: StateDep, _: AdminDep) -> StatsOut:
    """Queue and account statistics (admins only)."""
    now = utcnow()
    with state.db.read() as session:
        queue = queue_stats(session, now=now)
        by_role = users.count_users(session)
        live_keys = keys.count_api_keys(session, now=now)
    oldest = queue.oldest_queued_at
    return StatsOut(
        jobs=queue.jobs,
        tasks=queue.tasks,
        oldest_queued_at=oldest,
        queue_age_seconds=round((now - oldest).total_seconds(), 3) if oldest else None,
        expired_leases=queue.expired_leases,
        documents=queue.documents,
        users={"admin": by_role.get("admin", 0), "user": by_role.get("user", 0)},
        api_keys=live_keys,
    )


#: Throughput is told in this many buckets of this width, the last one still filling.
BUCKETS = 12
BUCKET = timedelta(minutes=5)
#: How far back failures are grouped by reason, and how many reasons are told.
FAILURE_WINDOW = timedelta(hours=24)
FAILURE_REASONS = 10


class BucketOut(BaseModel):
    """What finished in one interval, from ``start`` to ``start`` plus ``bucket_seconds``."""

    start: datetime
    completed: int = Field(description="Jobs completed (answers from the result cache too).")
    pages: int = Field(description="Pages of those jobs.")
    failed: int = Field(description="Jobs failed.")


class ThroughputOut(BaseModel):
    """The last hour in buckets, oldest first; buckets start on the clock's 5 minutes."""

    bucket_seconds: int
    buckets: list[BucketOut]


class FailureOut(BaseModel):
    """One reason jobs failed for, and how many did."""

    error: str
    count: int


class WaitingOut(BaseModel):
    """The queued job submitted longest ago."""

    id: str
    created_at: datetime
    priority: int
    waiting_seconds: float


class UsageOut(BaseModel):
    """One owner's use of the service."""

    owner: str = Field(description="A user id, or 'local' in single-user mode.")
    email: str | None
    jobs: int = Field(description="Jobs kept (deleted and expired ones are not).")
    pages: int = Field(description="Pages those jobs have read.")
    stored_bytes: int = Field(description="Bytes of live (not deleted) documents.")
    last_activity_at: datetime | None = Field(description="Latest upload or submit.")


class ActivityOut(BaseModel):
    """How the queue moves and who uses the service."""

    generated_at: datetime
    queue: dict[str, dict[int, int]] = Field(
        description="Jobs by status, then by priority (0-10); priorities without jobs are left out."
    )
    throughput: ThroughputOut
    failures: list[FailureOut] = Field(
        description="The most frequent errors of jobs failed in the last 24 hours."
    )
    oldest_waiting: WaitingOut | None
    usage: list[UsageOut] = Field(description="Every owner, most recently active first.")


@router.get("/activity", response_model=ActivityOut)
def activity(state: StateDep, _: AdminDep) -> ActivityOut:
    """Queue depth, the last hour's throughput, recent failures and usage (admins only)."""
    now = utcnow()
    # Clock-aligned buckets: a chart's labels stay put between refreshes.
    end = datetime.fromtimestamp(
        (now.timestamp() // BUCKET.total_seconds() + 1) * BUCKET.total_seconds(), tz=now.tzinfo
    )
    with state.db.read() as session:
        depth = overview.queue_depth(session)
        buckets = overview.throughput(
            session, start=end - BUCKET * BUCKETS, width=BUCKET, count=BUCKETS
        )
        failures = overview.failure_reasons(
            session, since=now - FAILURE_WINDOW, limit=FAILURE_REASONS
        )
        oldest = overview.oldest_waiting(session)
        usage = overview.usage_by_owner(session)
    return ActivityOut(
        generated_at=now,
        queue=depth,
        throughput=ThroughputOut(
            bucket_seconds=int(BUCKET.total_seconds()),
            buckets=[
                BucketOut(start=b.start, completed=b.completed, pages=b.pages, failed=b.failed)
                for b in buckets
            ],
        ),
        failures=[FailureOut(error=error, count=count) for error, count in failures],
        oldest_waiting=WaitingOut(
            id=oldest.id,
            created_at=oldest.created_at,
            priority=oldest.priority,
            waiting_seconds=round((now - oldest.created_at).total_seconds(), 3),
        )
        if oldest
        else None,
        usage=[
            UsageOut(
                owner=u.owner,
                email=u.email,
                jobs=u.jobs,
                pages=u.pages,
                stored_bytes=u.stored_bytes,
                last_activity_at=u.last_activity_at,
            )
            for u in usage
        ],
    )
