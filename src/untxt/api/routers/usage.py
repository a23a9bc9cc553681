"""``GET /v1/usage``: each owner's jobs, pages and bytes by UTC day (see untxt.queue.usage)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from untxt.api.deps import PrincipalDep, StateDep
from untxt.auth import PermissionDeniedError
from untxt.db.types import utcnow
from untxt.errors import InvalidRequestError
from untxt.queue.usage import DailyUsage, owner_emails, usage_by_day

router = APIRouter(tags=["usage"])
#: The longest span one request may cover, so that an answer stays small.
MAX_DAYS = 366
#: The span when the caller names no start.
DEFAULT_DAYS = 30


class UsageCounts(BaseModel):
    """What some jobs used."""

    jobs: int = Field(description="Jobs submitted.")
    completed: int = Field(description="Of those, how many have completed.")
    failed: int = Field(description="Of those, how many have failed.")
    pages: int = Field(description="Pages OCR has read for them.")
    bytes: int = Field(description="Bytes of their documents.")


class DayUsageOut(UsageCounts):
    """One owner's jobs submitted on one UTC day."""

    owner: str = Field(description="A user id, or 'local' in single-user mode.")
    email: str | None
    day: date


class OwnerUsageOut(UsageCounts):
    """One owner's jobs over the whole span."""

    owner: str
    email: str | None


class UsageOut(BaseModel):
    """Usage from ``since`` to ``until`` (UTC days, both included)."""

    since: date
    until: date
    days: list[DayUsageOut] = Field(
        description="Each owner's days that had jobs, by owner then day; days without are left out."
    )
    totals: list[OwnerUsageOut] = Field(description="Each owner's sums over the span.")


def _counts(rows: list[DailyUsage]) -> dict[str, int]:
    return {
        "jobs": sum(r.jobs for r in rows),
        "completed": sum(r.completed for r in rows),
        "failed": sum(r.failed for r in rows),
        "pages": sum(r.pages for r in rows),
        "bytes": sum(r.bytes for r in rows),
    }


@router.get("/v1/usage", response_model=UsageOut)
def get_usage(
    state: StateDep,
    principal: PrincipalDep,
    since: Annotated[
        date | None, Query(description="First UTC day (YYYY-MM-DD); default: 29 days before until.")
    ] = None,
    until: Annotated[date | None, Query(description="Last UTC day; default: today.")] = None,
    all: Annotated[bool, Query(description="Every owner's usage (admins only).")] = False,
) -> UsageOut:
    """The caller's jobs, pages read and bytes sent, by UTC day of submission (admins with
    ``all=true``: every owner's); at most 366 days per request."""
    if all and not principal.is_admin:
        raise PermissionDeniedError("every owner's usage needs an admin account")
    last = until or utcnow().date()
    first = since or date.fromordinal(max(1, last.toordinal() - (DEFAULT_DAYS - 1)))
    if first > last:
        raise InvalidRequestError(f"since ({first}) is after until ({last})")
    if (last - first).days >= MAX_DAYS or last == date.max:
        raise InvalidRequestError(f"ask for at most {MAX_DAYS} days at once")
    with state.db.read() as session:
        rows = usage_by_day(session, owner=None if all else principal.owner, first=first, last=last)
        emails = owner_emails(session, sorted({r.owner for r in rows}))
    days = [
        DayUsageOut(
            owner=r.owner,
            email=emails.get(r.owner),
            day=r.day,
            jobs=r.jobs,
            completed=r.completed,
            failed=r.failed,
            pages=r.pages,
            bytes=r.bytes,
        )
        for r in rows
    ]
    by_owner: dict[str, list[DailyUsage]] = {}
    for r in rows:
        by_owner.setdefault(r.owner, []).append(r)
    totals = [
        OwnerUsageOut(owner=owner, email=emails.get(owner), **_counts(owned))
        for owner, owned in by_owner.items()
    ]
    return UsageOut(since=first, until=last, days=days, totals=totals)
