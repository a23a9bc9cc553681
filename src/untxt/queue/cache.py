"""The result cache: a submit that repeats an earlier one is answered with its result.

Same owner, same document (so the same bytes), same options fingerprint: the new
job is created already completed, its results rows pointing at the blobs of the
completed job it repeats, and no task is queued. Options that do not change the
result (``priority``, ``no_cache``, ``webhook_url``) are left out of the
fingerprint, and the output formats are in it as a set; the engine's version and
untxt's own are in it, so that an upgraded engine (or text-layer reader, or
renderer) reads the file again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from untxt.options import JobOptions
from untxt.queue.statements import JOBS, RESULTS, run
from untxt.version import __version__

#: Options that say how or when to run a job, not what its result is.
_NOT_IN_FINGERPRINT = frozenset({"priority", "no_cache", "webhook_url"})

#: The most recently finished completed job of the owner on the document with the
#: fingerprint. On PostgreSQL its row is share-locked until the submit commits, so
#: that neither retention nor a delete removes it (and then its blobs) meanwhile.
FIND_CACHED_JOB = (
    select(JOBS.c.id)
    .where(
        JOBS.c.document_id == bindparam("document"),
        JOBS.c.options_fingerprint == bindparam("fingerprint"),
        JOBS.c.owner == bindparam("owner"),
        JOBS.c.status == "completed",
    )
    .order_by(JOBS.c.finished_at.desc(), JOBS.c.id.desc())
    .limit(1)
    .with_for_update(read=True)
)

CACHED_RESULTS = select(
    RESULTS.c.format, RESULTS.c.blob_key, RESULTS.c.media_type, RESULTS.c.size
).where(RESULTS.c.job_id == bindparam("job"))


def options_fingerprint(
    options: JobOptions, *, engine_version: str | None = None, templates: str | None = None
) -> str:
    """SHA-256 of the options a result depends on, in a canonical form.

    ``options.engine`` should be the engine the job runs on (not ``auto``), and
    ``engine_version`` that engine's version. untxt's version is in it too: pages read
    from a PDF's text layer and every output format are its work. A job that extracts
    fields depends on its owner's templates as well: ``templates`` is their digest.
    """
    values: dict[str, Any] = options.model_dump(mode="json", exclude=set(_NOT_IN_FINGERPRINT))
    # The same formats asked in another order are the same results.
    values["outputs"] = sorted(values["outputs"])
    values["engine_version"] = engine_version
    values["untxt_version"] = __version__
    if templates is not None:
        values["templates"] = templates
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def cached_job(
    session: Session,
    *,
    owner: str,
    document_id: str,
    fingerprint: str,
    outputs: list[str],
) -> tuple[str, list[dict[str, Any]]] | None:
    """The completed job to reuse and its results (format, blob_key, media_type, size),
    or ``None`` when there is none holding every format in ``outputs``."""
    job_id = run(
        session, FIND_CACHED_JOB, document=document_id, fingerprint=fingerprint, owner=owner
    ).scalar_one_or_none()
    if job_id is None:
        return None
    results = [row._asdict() for row in run(session, CACHED_RESULTS, job=job_id)]
    if not set(outputs) <= {r["format"] for r in results}:
        return None
    return job_id, [r for r in results if r["format"] in outputs]


def cached_results(
    session: Session,
    *,
    owner: str,
    document_id: str,
    fingerprint: str,
    outputs: list[str],
) -> list[dict[str, Any]] | None:
    """The results of a completed job to reuse (see :func:`cached_job`), or ``None``."""
    found = cached_job(
        session, owner=owner, document_id=document_id, fingerprint=fingerprint, outputs=outputs
    )
    return found[1] if found is not None else None


def result_rows(job_id: str, results: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Rows that give ``job_id`` the reused ``results``."""
    return [{**r, "job_id": job_id, "created_at": now} for r in results]
