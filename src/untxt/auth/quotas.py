"""Per-owner quotas: unfinished jobs and stored document bytes, checked inside the submit
transaction so that a refused request creates nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from untxt.config import Settings
from untxt.db.documents import stored_bytes
from untxt.errors import QueuedJobsQuotaError, StorageQuotaError
from untxt.queue.counts import count_unfinished_jobs


def check_queued_jobs(session: Session, *, settings: Settings, owner: str, adding: int) -> None:
    """Refuse ``adding`` more jobs when the owner's unfinished jobs would pass the quota."""
    quota = settings.quota_queued_jobs
    if not quota:
        return
    unfinished = count_unfinished_jobs(session, owner=owner)
    if unfinished + adding > quota:
        raise QueuedJobsQuotaError(
            f"{unfinished} of your jobs are queued or processing and this request adds "
            f"{adding}; the limit is {quota} (UNTXT_QUOTA_QUEUED_JOBS). Wait for some to "
            "finish, or cancel some, and submit again"
        )


def check_stored_bytes(
    session: Session, *, settings: Settings, owner: str, sha256: str, size: int
) -> None:
    """Refuse a document that would take the owner's stored bytes past the quota.

    The same bytes stored already by this owner count once, so uploading them
    again is never refused.
    """
    quota = settings.quota_stored_bytes
    if not quota:
        return
    others = stored_bytes(session, owner=owner, excluding_sha256=sha256)
    if others + size > quota:
        raise StorageQuotaError(
            f"your documents take {others} bytes and this one {size}; the limit is "
            f"{quota} bytes (UNTXT_QUOTA_STORED_BYTES). Delete documents you no longer "
            "need and upload again"
        )
