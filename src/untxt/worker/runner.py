"""Runs one claimed task: recognise a page, or assemble and render a job's result."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from untxt import tracing
from untxt.config import Settings
from untxt.db.models import ASSEMBLE_PAGE
from untxt.db.session import Database
from untxt.db.templates import list_templates
from untxt.db.types import utcnow
from untxt.document import Document, Page
from untxt.engines import EngineRegistry
from untxt.errors import JobTimeoutError, UntxtError
from untxt.logs import get_logger
from untxt.metrics import hooks
from untxt.options import JobOptions
from untxt.pipeline import recognize_page
from untxt.pipeline.outputs import render_outputs
from untxt.queue import (
    Finished,
    Lease,
    Outcome,
    RetryPolicy,
    StoredResult,
    complete_job,
    complete_only_page,
    complete_only_pages,
    complete_page,
    fail_task,
)
from untxt.queue.work import job_work, page_result_keys
from untxt.search.text import document_text
from untxt.storage import BlobStore
from untxt.storage.keys import page_blob_key, result_blob_key
from untxt.tracing import split_carried
from untxt.worker.fields import TemplateCache, extract_job_fields
from untxt.worker.keeper import LeaseKeeper

log = get_logger(__name__)


@dataclass(frozen=True)
class _Work:
    """What a task needs to know about its job and document."""

    job_id: str
    owner: str
    options: JobOptions
    pages_total: int
    blob_key: str
    media_type: str
    filename: str
    #: When the job's first page was claimed; its time limit runs from then.
    started_at: datetime | None
    #: The submit's request id and trace context (see :mod:`untxt.tracing`).
    carried: dict[str, str]


@dataclass(frozen=True)
class Deferred:
    """A one-page job read and its results stored, its completion left to the caller to
    record with others' (:meth:`TaskRunner.complete_deferred`)."""

    finished: Finished
    work: _Work
    document: Document


class TaskRunner:
    """Executes leases against one database, blob store and set of engines."""

    def __init__(
        self, settings: Settings, db: Database, storage: BlobStore, engines: EngineRegistry
    ) -> None:
        self._settings = settings
        self._db = db
        self._storage = storage
        self._engines = engines
        self._policy = RetryPolicy(settings.max_attempts, settings.retry_base, settings.retry_cap)
        # Pages of one document usually arrive one after another: keep its bytes.
        self._cached: tuple[str, bytes] | None = None
        self._templates = TemplateCache()

    @overload
    def run(
        self, lease: Lease, keeper: LeaseKeeper | None = None, *, deferred: None = None
    ) -> Outcome: ...

    @overload
    def run(
        self, lease: Lease, keeper: LeaseKeeper | None = None, *, deferred: list[Deferred]
    ) -> Outcome | None: ...

    def run(
        self,
        lease: Lease,
        keeper: LeaseKeeper | None = None,
        *,
        deferred: list[Deferred] | None = None,
    ) -> Outcome | None:
        """Run ``lease`` to an outcome; a failure becomes a retry or a failed job, not an error.

        ``keeper``, holding ``lease``, is handed the assembly's lease when the last page
        leads straight on to it. With ``deferred``, a one-page job is read and its results
        stored, and its completion appended there instead of recorded: ``None`` then.
        """
        work: _Work | None = None
        with ExitStack() as scope:
            # Every line logged for the job names it, and its submit's request id.
            scope.enter_context(tracing.job_scope({}, job_id=lease.job_id))
            try:
                work = self._load(lease.job_id)
                scope.enter_context(tracing.job_scope(work.carried, job_id=lease.job_id))
                name = "untxt.assemble" if lease.page == ASSEMBLE_PAGE else "untxt.page"
                scope.enter_context(
                    tracing.task_span(
                        work.carried,
                        name,
                        job_id=lease.job_id,
                        page=lease.page,
                        attempt=lease.attempts,
                    )
                )
                self._check_time_limit(work)
                if lease.page == ASSEMBLE_PAGE:
                    return self._assemble(lease, work)
                return self._page(lease, work, keeper, deferred)
            except Exception as exc:
                return self._fail(lease, work, exc)

    def complete_deferred(self, deferred: list[Deferred]) -> dict[int, Outcome]:
        """Complete the deferred one-page jobs (of one worker) in one transaction; their
        outcomes by task id."""
        with self._db.write() as session:
            outcomes = complete_only_pages(session, [d.finished for d in deferred], now=utcnow())
        for item in deferred:
            with tracing.job_scope(item.work.carried, job_id=item.work.job_id):
                self._finished(item.work, item.document, outcomes[item.finished.lease.task_id])
        return outcomes

    def _page(
        self,
        lease: Lease,
        work: _Work,
        keeper: LeaseKeeper | None,
        deferred: list[Deferred] | None,
    ) -> Outcome | None:
        with tracing.span("untxt.recognize", engine=work.options.engine):
            page = recognize_page(
                self._blob(work.blob_key),
                work.media_type,
                lease.page,
                work.options,
                self._engines.get(work.options.engine),
                max_pixels=self._settings.max_image_pixels,
            )
        hooks.page_read(page.engine, page.seconds)
        self._check_time_limit(work)
        if work.pages_total == 1:
            # The only page is the whole document: finish the job right here, without
            # keeping the page for an assembly step.
            document = Document.from_pages([page], source=work.filename)
            fields = self._fields(work, document)
            results = self._store_results(lease, work, document)
            search = document_text(document)
            if deferred is not None:
                finished = Finished(lease, results, fields, search)
                deferred.append(Deferred(finished, work, document))
                return None
            with self._db.write() as session:
                outcome = complete_only_page(
                    session, lease, results=results, now=utcnow(), fields=fields, search=search
                )
            return self._finished(work, document, outcome)
        key = page_blob_key(work.job_id, lease.page, lease.attempts)
        self._storage.put(key, page.model_dump_json().encode())
        with self._db.write() as session:
            done = complete_page(
                session, lease, result_key=key, ttl=self._settings.lease_ttl, now=utcnow()
            )
        log.debug("page done", job=work.job_id, page=lease.page, outcome=done.outcome.value)
        if done.assemble is None:
            return done.outcome
        if keeper is None:
            return self.run(done.assemble)
        # The page's lease has ended: a large result can take longer to render than a
        # lease lasts, so it is the assembly's that must be kept alive now.
        keeper.release(lease)
        with keeper.hold(done.assemble):
            return self.run(done.assemble, keeper)

    def _assemble(self, lease: Lease, work: _Work) -> Outcome:
        with self._db.read() as session:
            keys = page_result_keys(session, work.job_id)
        document = Document.from_pages(
            (Page.model_validate_json(self._storage.get(key)) for key in keys),
            source=work.filename,
        )
        fields = self._fields(work, document)
        results = self._store_results(lease, work, document)
        search = document_text(document)  # outside the write lock, like the rendering
        with self._db.write() as session:
            outcome = complete_job(
                session, lease, results=results, now=utcnow(), fields=fields, search=search
            )
        return self._finished(work, document, outcome)

    def _fields(self, work: _Work, document: Document) -> dict[str, Any] | None:
        """The document's fields, when the job asks for them."""
        if not work.options.extract:
            return None
        with self._db.read() as session:
            rows = list_templates(session, owner=work.owner)
        return extract_job_fields(document, work.options, rows, self._templates)

    def _store_results(self, lease: Lease, work: _Work, document: Document) -> list[StoredResult]:
        """Render and store every requested format under ``lease``'s own keys."""
        outputs = render_outputs(
            document,
            work.options.outputs,
            self._blob(work.blob_key),
            media_type=work.media_type,
            dpi=work.options.dpi,
            max_pixels=self._settings.max_image_pixels,
        )
        results = []
        for fmt, body in outputs:
            key = result_blob_key(lease.job_id, lease.task_id, lease.attempts, fmt.extension)
            self._storage.put(key, body)
            results.append(StoredResult(fmt.name, key, fmt.media_type, len(body)))
        return results

    def _finished(self, work: _Work, document: Document, outcome: Outcome) -> Outcome:
        log.info(
            "job finished",
            job=work.job_id,
            outcome=outcome.value,
            pages=len(document.pages),
            seconds=document.seconds,
        )
        return outcome

    def _fail(self, lease: Lease, work: _Work | None, exc: Exception) -> Outcome:
        permanent = isinstance(exc, UntxtError) and exc.permanent
        reason = str(exc) if isinstance(exc, UntxtError) else f"{type(exc).__name__}: {exc}"
        if lease.page == ASSEMBLE_PAGE:
            reason = f"assembling the result: {reason}"
        elif work is not None and work.pages_total > 1:
            reason = f"page {lease.page}: {reason}"
        if not isinstance(exc, UntxtError):
            log.error("task crashed", job=lease.job_id, page=lease.page, exc_info=exc)
        with self._db.write() as session:
            outcome = fail_task(
                session, lease, error=reason, permanent=permanent, policy=self._policy, now=utcnow()
            )
        if outcome is Outcome.RETRY:
            hooks.task_retried("error")
        log.info(
            "task failed", job=lease.job_id, page=lease.page, outcome=outcome.value, error=reason
        )
        return outcome

    def _load(self, job_id: str) -> _Work:
        with self._db.read() as session:
            job = job_work(session, job_id)
        options, carried = split_carried(job.options)
        return _Work(
            job_id=job_id,
            owner=job.owner,
            options=JobOptions.model_validate(options),
            pages_total=job.pages_total,
            blob_key=job.blob_key,
            media_type=job.media_type,
            filename=job.filename,
            started_at=job.started_at,
            carried=carried,
        )

    def _check_time_limit(self, work: _Work) -> None:
        """Fail the job once it has run ``job_timeout`` seconds per page.

        Checked before each task and after each page's OCR: a page in progress is
        not interrupted, but no further work is done for a job past its limit.
        """
        per_page = self._settings.job_timeout
        if not per_page or work.started_at is None:
            return
        limit = per_page * work.pages_total
        elapsed = (utcnow() - work.started_at).total_seconds()
        if elapsed > limit:
            raise JobTimeoutError(
                f"the job ran {elapsed:.2f} seconds, over its limit of {limit:g} seconds "
                f"({per_page:g} per page, UNTXT_JOB_TIMEOUT)"
            )

    def _blob(self, key: str) -> bytes:
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, self._storage.get(key))
        return self._cached[1]
