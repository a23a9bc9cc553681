"""Bills and receipts stored with their extracted fields, as the completion path keeps them."""

from __future__ import annotations

from datetime import datetime

from tests.queue.helpers import must_claim
from tests.search.helpers import page_of, store
from untxt.api.deps import LOCAL_OWNER
from untxt.db import Database
from untxt.db.documents import get_document
from untxt.extract import extract_fields
from untxt.options import JobOptions
from untxt.queue import Outcome, complete_only_page
from untxt.queue.jobs import enqueue_job, get_job
from untxt.search.text import document_text


def electricity_bill(date: str, total: str, kwh: int) -> list[str]:
    return [
        "HANOI POWER COMPANY",
        "ELECTRICITY BILL",
        "Account number 4500032242",
        f"Invoice date {date}",
        f"Electricity used {kwh} kWh",
        f"TOTAL AMOUNT DUE {total} VND",
    ]


WATER_BILL = [
    "SAWACO WATER SUPPLY",
    "WATER BILL",
    "Invoice date 2025-03-09",
    "Water used 12 m3",
    "TOTAL AMOUNT DUE 210,000 VND",
]
RECEIPT = [
    "AEON CO. (M) BHD",
    "TAX INVOICE",
    "Date: 2018-03-12 10:21",
    "1 BREAD 3.50",
    "1 MILK 6.20",
    "TOTAL 9.70",
    "CASH 10.00",
    "CHANGE 0.30",
]


def store_bills(db: Database, now: datetime, owner: str = LOCAL_OWNER) -> dict[str, str]:
    """Two electricity bills (March and April 2025), a water bill and a receipt; job ids."""
    documents = {
        "march": electricity_bill("2025-03-05", "1,250,000", 412),
        "april": electricity_bill("2025-04-05", "980,000", 300),
        "water": WATER_BILL,
        "receipt": RECEIPT,
    }
    return {
        name: store(db, now, page_of(*lines), owner=owner, extract=True)
        for name, lines in documents.items()
    }


def read_again(db: Database, now: datetime, job_id: str, lines: list[str]) -> str:
    """A second job on the document of ``job_id``, completed with ``lines`` as its page."""
    with db.write() as session:
        job = get_job(session, owner=LOCAL_OWNER, job_id=job_id)
        document = get_document(session, owner=LOCAL_OWNER, document_id=job.document_id)
        again = enqueue_job(
            session,
            owner=LOCAL_OWNER,
            document=document,
            options=JobOptions(),
            max_attempts=3,
            now=now,
        ).id
    lease = must_claim(db, "w1", now)
    assert lease.job_id == again
    page = page_of(*lines)
    fields = extract_fields(page, ["auto"], languages=["eng"]).dump()
    with db.write() as session:
        outcome = complete_only_page(
            session, lease, results=[], now=now, fields=fields, search=document_text(page)
        )
    assert outcome is Outcome.DONE
    return again
