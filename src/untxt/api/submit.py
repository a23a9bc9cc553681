"""The submit flow of the job and batch routes: one write transaction, a 202, wake-ups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, partial

from fastapi import Response, status
from pydantic import BaseModel
from sqlalchemy.orm import Session

from untxt import tracing
from untxt.api.deps import AppState
from untxt.api.idempotency import BoundKey
from untxt.api.schemas import BatchSubmitted, JobOut
from untxt.auth.quotas import check_queued_jobs
from untxt.db.documents import get_document_now
from untxt.db.models import DocumentRow, JobRow
from untxt.db.types import utcnow
from untxt.logs import get_logger
from untxt.metrics import hooks
from untxt.options import JobOptions
from untxt.queue import batches
from untxt.queue.jobs import JobPlan, enqueue_now, enqueue_planned, plan_job

log = get_logger(__name__)


@dataclass(frozen=True)
class Accepted:
    """What a submit created: how to make the body to answer with, its URL, and the
    pages it queued.

    The body is made when first asked for: without an ``Idempotency-Key``, after the
    commit, so that the write lock is not held while it is made.
    """

    make_body: Callable[[], BaseModel]
    location: str
    pages: int

    @cached_property
    def body(self) -> BaseModel:
        """The body, made once."""
        return self.make_body()

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


def plan(state: AppState, options: JobOptions) -> JobPlan:
    """The plan of a job with ``options``, made before its write transaction (see
    :class:`untxt.queue.jobs.JobPlan`), in the request's context, which the job carries.

    The job records the engine ``auto`` resolves to, whether or not the caller's
    options did already: the worker runs that engine, and the result cache tells
    results apart by it and its version.
    """
    engine = state.engines.resolve(options.engine, options.languages, options.mode)
    if engine != options.engine:
        options = options.model_copy(update={"engine": engine})
    return plan_job(
        options,
        # A new engine version reads the file again rather than reuse an old result.
        engine_version=state.engines.get(engine).version(),
        carried=tracing.carried_context(),
    )


def enqueue(
    session: Session,
    state: AppState,
    *,
    owner: str,
    document: DocumentRow,
    planned: JobPlan,
    now: datetime,
    batch_id: str | None = None,
    batch_index: int | None = None,
    new_document: bool = False,
) -> JobRow:
    """Queue the ``planned`` job in the caller's transaction (completed at once by the
    result cache when it repeats an earlier job)."""
    return enqueue_planned(
        session,
        planned,
        owner=owner,
        document=document,
        max_attempts=state.settings.max_attempts,
        now=now,
        batch_id=batch_id,
        batch_index=batch_index,
        new_document=new_document,
    )


def accepted_job(job: JobRow, *, filename: str) -> Accepted:
    """What submitting ``job`` created; its body is made from the row when asked for."""
    return Accepted(
        partial(JobOut.of, job, filename=filename), f"/v1/jobs/{job.id}", pages_to_run(job)
    )


def pages_to_run(job: JobRow) -> int:
    """How many pages ``job`` queued: none when the result cache completed it."""
    return job.pages_total if job.status == "queued" else 0


def create_batch_jobs(
    session: Session,
    state: AppState,
    *,
    owner: str,
    items: Sequence[tuple[DocumentRow, JobPlan]],
) -> Accepted:
    """The batch and one job per item, each planned before the caller's transaction
    (see :func:`plan`), in that transaction."""
    now = utcnow()
    batch = batches.create_batch(session, owner=owner, total=len(items), now=now)
    jobs = [
        (
            enqueue(
                session,
                state,
                owner=owner,
                document=document,
                planned=planned,
                now=now,
                batch_id=batch.id,
                batch_index=index,
            ),
            document.filename,
        )
        for index, (document, planned) in enumerate(items)
    ]

    def body() -> BatchSubmitted:
        return BatchSubmitted.of(batch, [JobOut.of(job, filename=name) for job, name in jobs])

    return Accepted(
        body,
        BatchSubmitted.links_of(batch)["self"],
        sum(pages_to_run(job) for job, _ in jobs),
    )


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


def submit_now(
    state: AppState, *, owner: str, document_id: str, planned: JobPlan
) -> Response | None:
    """A job on a stored document, on PostgreSQL without a session: the queued-jobs
    quota, the document and the job as statements that commit on their own (see
    :meth:`untxt.db.Database.statements`), then the wake-ups and the 202. ``None``,
    having written nothing, where the job needs a write block (see
    :func:`untxt.queue.jobs.enqueue_now`) or the store is not PostgreSQL."""
    if state.db.dialect != "postgresql":
        return None
    with state.db.statements() as connection:
        check_queued_jobs(connection, settings=state.settings, owner=owner, adding=1)
        document = get_document_now(connection, owner=owner, document_id=document_id)
        job = enqueue_now(
            connection,
            planned,
            owner=owner,
            document=document,
            max_attempts=state.settings.max_attempts,
            now=utcnow(),
        )
    if job is None:
        return None
    return answer(state, Outcome(None, accepted_job(job, filename=document.filename)))


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
