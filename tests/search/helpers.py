"""Results stored through the queue's real completion path, for the search tests."""

from __future__ import annotations

from datetime import datetime

from tests.formats.documents import make_document
from tests.queue.helpers import OWNER, make_job, must_claim
from untxt.db import Database
from untxt.document import Document
from untxt.extract import extract_fields
from untxt.formats import FORMATS
from untxt.queue import Outcome, StoredResult, complete_only_page
from untxt.search.text import document_text
from untxt.storage import BlobStore


def page_of(*lines: str, source: str = "scan.png") -> Document:
    """A one-page document whose lines are ``lines``."""
    return make_document([[list(lines)]], source=source)


def store(
    db: Database,
    now: datetime,
    document: Document,
    *,
    owner: str = OWNER,
    extract: bool = False,
) -> str:
    """Complete a fresh one-page job with ``document`` as its result; returns the job id."""
    job_id = make_job(db, now, owner=owner)
    lease = must_claim(db, "w1", now)
    assert lease.job_id == job_id
    fields = None
    if extract:
        fields = extract_fields(document, ["auto"], languages=["eng"]).dump()
    with db.write() as session:
        outcome = complete_only_page(
            session, lease, results=[], now=now, fields=fields, search=document_text(document)
        )
    assert outcome is Outcome.DONE
    return job_id


def store_with_json(db: Database, storage: BlobStore, now: datetime, document: Document) -> str:
    """Complete a fresh one-page job whose JSON result (what reindexing reads) is in
    ``storage``; returns the job id."""
    job_id = make_job(db, now)
    lease = must_claim(db, "w1", now)
    body = FORMATS["json"].render(document, [])
    key = f"results/{job_id}.json"
    storage.put(key, body)
    stored = StoredResult("json", key, "application/json", len(body))
    with db.write() as session:
        outcome = complete_only_page(
            session, lease, results=[stored], now=now, search=document_text(document)
        )
    assert outcome is Outcome.DONE
    return job_id
