"""The submit flow of the job and batch routes: one write transaction, a 202, wake-ups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fastapi import Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from untxt import tracing
from untxt.api.deps import AppState
from untxt.api.idempotency import BoundKey
from untxt.api.schemas import BatchSubmitted, JobOut
from untxt.db.models import DocumentRow
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.metrics import hooks
from untxt.options import JobOptions
from untxt.queue import batches, enqueue_job

log = get_logger(__name__)


@dataclass(frozen=True)
class Accepted:
    """What a submit created: the body to answer with, its URL, and the pages it queued."""

    body: BaseModel
    location: str
    pages: int

    def response(self) -> Response:
        """The 202 answer.

        The body is serialised here, once: a returned model would be validated again
        against the response model, which costs a submit a noticeable share of its time.
        """
        return Response(
            self.body.model_dump_json(),
            status_code=status.HTTP_202_ACCEPTED,
            media_type="application/json",
            headers={"Location": self.location},
        )


@dataclass(frozen=True)
class Outcome:
    """A submit's part of a write transaction: the answer made in it (a key's stored
    answer, or the one stored with a key), and what it created."""

    response: Response | None
    accepted: Accepted | None


def enqueue(
    session: Session,
    state: AppState,
    *,
    owner: str,
    document: DocumentRow,
    options: JobOptions,
    now: datetime,
    batch_id: str | None = None,
    batch_index: int | None = None,
    new_document: bool = False,
) -> JobOut:
    """Queue one job in the caller's transaction (completed at once by the result cache
    when it repeats an earlier job).

    The job records the engine ``auto`` resolves to, whether or not the caller's
    options did already: the worker runs that engine, and the result cache tells
    results apart by it and its version.
    """
    engine = state.engines.resolve(options.engine, options.languages, options.mode)
    if engine != options.engine:
        options = options.model_copy(update={"engine": engine})
    job = enqueue_job(
        session,
        owner=owner,
        document=document,
        options=options,
        max_attempts=state.settings.max_attempts,
        now=now,
        batch_id=batch_id,
        batch_index=batch_index,
        # A new engine version reads the file again rather than reuse an old result.
        engine_version=state.engines.get(engine).version(),
        new_document=new_document,
        carried=tracing.carried_context(),
    )
    return JobOut.of(job, filename=document.filename)


def pages_to_run(job: JobOut) -> int:
    """How many pages ``job`` queued: none when the result cache completed it."""
    return job.pages_total if job.status == "queued" else 0


def create_batch_jobs(
    session: Session,
    state: AppState,
    *,
    owner: str,
    items: Sequence[tuple[DocumentRow, JobOptions]],
) -> Accepted:
    """The batch and one job per item, in the caller's transaction."""
    now = utcnow()
    batch = batches.create_batch(session, owner=owner, total=len(items), now=now)
    jobs = [
        enqueue(
            session,
            state,
            owner=owner,
            document=document,
            options=options,
            now=now,
            batch_id=batch.id,
            batch_index=index,
        )
        for index, (document, options) in enumerate(items)
    ]
    body = BatchSubmitted.of(batch, jobs)
    return Accepted(body, body.links["self"], sum(pages_to_run(job) for job in jobs))


def submit(
    state: AppState,
    *,
    owner: str,
    key: BoundKey | None,
    create: Callable[[Session], Accepted],
    one_statement: bool = False,
) -> Response:
    """Run ``create`` in one write transaction, then wake the workers and answer 202.

    With an ``Idempotency-Key`` the key is claimed first in that transaction and the
    answer stored with it; a repeated key gets the stored answer and creates nothing.
    Any error rolls everything back, the key included, so a corrected retry can use it.
    ``one_statement``: ``create`` reads, then writes with one statement at most (see
    :meth:`untxt.db.Database.write`); a key's own writes make it a transaction again.
    """
    with state.db.write(one_statement=one_statement and key is None) as session:
        outcome = run_create(session, state, owner=owner, key=key, create=create)
    return answer(state, outcome)


def run_create(
    session: Session,
    state: AppState,
    *,
    owner: str,
    key: BoundKey | None,
    create: Callable[[Session], Accepted],
) -> Outcome:
    """``create`` in the caller's write transaction, behind the key if there is one."""
    if key is not None:
        replay = key.replay(session, owner=owner, ttl=state.settings.idempotency_ttl)
        if replay is not None:
            return Outcome(replay, None)
    accepted = create(session)
    if key is None:
        return Outcome(None, accepted)
    response = accepted.response()
    key.remember(session, owner=owner, response=response)
    return Outcome(response, accepted)


def answer(state: AppState, outcome: Outcome) -> Response:
    """Once ``outcome`` is committed: wake the workers, count and log its jobs; the answer."""
    accepted = outcome.accepted
    if accepted is not None:
        state.notifier.notify(accepted.pages)
        _submitted(accepted.body)
    if outcome.response is not None:
        return outcome.response
    # Without a key the body is serialised after commit, to hold the write lock no longer.
    assert accepted is not None, "an outcome holds an answer or what was created"
    return accepted.response()


def _submitted(body: BaseModel) -> None:
    """Count and log the jobs a committed submit created, each under the request's id."""
    jobs = body.jobs if isinstance(body, BatchSubmitted) else [body]
    hooks.jobs_submitted(len(jobs))
    for job in jobs:
        if isinstance(job, JobOut):
            log.info("job submitted", job_id=job.id, status=job.status, pages=job.pages_total)
            tracing.annotate(job_id=job.id)
