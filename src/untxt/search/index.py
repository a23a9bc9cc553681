"""Index rows: written in the transaction that stores a result, removed with its job, rebuilt.

A row per page holds the page's text, each word's span and box (so a hit's snippet and
boxes come from the row, with no blob read), and its folded tokens; SQLite's triggers
copy those into FTS5, and on PostgreSQL the row's own tsvector holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from untxt.db.session import Database
from untxt.document import Document
from untxt.search.text import PageText, document_text, fold_fast, pack_words, tsvector_literal
from untxt.storage import BlobNotFoundError, BlobStore

_COLUMNS = "job_id, owner, document_id, page, width, height, text, words, folded"
_VALUES = ":job, :owner, :document, :page, :width, :height, :text, :words, :folded"
_INSERT = {
    "sqlite": text(f"INSERT INTO search_pages ({_COLUMNS}) VALUES ({_VALUES})"),
    "postgresql": text(
        f"INSERT INTO search_pages ({_COLUMNS}, tsv) VALUES ({_VALUES}, CAST(:tsv AS tsvector))"
    ),
}
_COPY = {
    dialect: text(
        f"INSERT INTO search_pages ({_COLUMNS}{extra})"
        f" SELECT :job, owner, document_id, page, width, height, text, words, folded{extra}"
        " FROM search_pages WHERE job_id = :from_job ORDER BY page"
    )
    for dialect, extra in (("sqlite", ""), ("postgresql", ", tsv"))
}
_JOB = text("SELECT owner, document_id FROM jobs WHERE id = :job")
_DELETE = text("DELETE FROM search_pages WHERE job_id IN :jobs").bindparams(
    bindparam("jobs", expanding=True)
)
_DELETE_ALL = text("DELETE FROM search_pages")
#: Completed jobs and the key of their JSON result, the document that reindexing reads.
_STORED = text(
    "SELECT j.id, r.blob_key FROM jobs j LEFT JOIN results r"
    " ON r.job_id = j.id AND r.format = 'json' WHERE j.status = 'completed' ORDER BY j.id"
)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def index_pages(session: Session, job_id: str, pages: Sequence[PageText]) -> None:
    """Index the pages of job ``job_id``'s result, in the caller's transaction."""
    if not pages:
        return
    job = session.execute(_JOB, {"job": job_id}).one()
    rows = [
        {
            "job": job_id,
            "owner": job.owner,
            "document": job.document_id,
            "page": page.number,
            "width": page.width,
            "height": page.height,
            "text": page.text,
            "words": pack_words(page.words),
            "folded": fold_fast(page.text),
            "tsv": tsvector_literal(page.tokens),
        }
        for page in pages
    ]
    session.execute(_INSERT[_dialect(session)], rows)


def index_document(session: Session, job_id: str, document: Document) -> None:
    """Index every page of ``document`` as job ``job_id``'s result."""
    index_pages(session, job_id, document_text(document))


def copy_index(session: Session, *, from_job: str, job_id: str) -> None:
    """Give ``job_id`` (answered from the result cache) the index rows of ``from_job``."""
    session.execute(_COPY[_dialect(session)], {"job": job_id, "from_job": from_job})


def remove_jobs(session: Session, job_ids: Iterable[str]) -> None:
    """Remove the index rows of the jobs ``job_ids`` (their FTS5 entries go by trigger)."""
    ids = list(job_ids)
    if ids:
        session.execute(_DELETE, {"jobs": ids})


@dataclass(frozen=True)
class Reindexed:
    """What a rebuild did: jobs indexed, and jobs whose result has no JSON to read."""

    jobs: int
    pages: int
    skipped: list[str]


def reindex(db: Database, storage: BlobStore) -> Reindexed:
    """Rebuild the whole index from the JSON results in storage, one job a transaction.

    Jobs that stored no JSON result (it holds the words and boxes) cannot be indexed
    and are listed as skipped.
    """
    with db.write() as session:
        session.execute(_DELETE_ALL)
    with db.read() as session:
        stored = [(row.id, row.blob_key) for row in session.execute(_STORED)]
    jobs = pages = 0
    skipped: list[str] = []
    for job_id, key in stored:
        if key is None:
            skipped.append(job_id)
            continue
        try:
            document = Document.model_validate_json(storage.get(key))
        except BlobNotFoundError:
            skipped.append(job_id)
            continue
        texts = document_text(document)
        with db.write() as session:
            # The job may have been deleted meanwhile: then there is nothing to index.
            if session.execute(_JOB, {"job": job_id}).one_or_none() is None:
                continue
            remove_jobs(session, [job_id])
            index_pages(session, job_id, texts)
        jobs += 1
        pages += len(texts)
    return Reindexed(jobs, pages, skipped)
