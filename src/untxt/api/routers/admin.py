"""``/v1/admin``: what the whole service holds and how its queue is doing, for admins."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from untxt.api.deps import AdminDep, StateDep
from untxt.auth import keys, users
from untxt.db.types import utcnow
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
