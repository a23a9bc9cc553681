"""What the database answers for a question, on SQLite and PostgreSQL, with the rows used."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.ask.documents import electricity_bill, read_again, store_bills
from untxt.api.deps import LOCAL_OWNER
from untxt.ask.answer import Grounds, gather
from untxt.ask.facts import computed_text
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue.jobs import get_job

TODAY = dt.date(2026, 12, 5)


def _gather(db: Database, question: str, documents: tuple[str, ...] | None = None) -> Grounds:
    with db.read() as session:
        return gather(session, question, owner=LOCAL_OWNER, document_ids=documents, today=TODAY)


def test_a_sum_of_one_utility_in_one_month_adds_only_those_bills(db: Database) -> None:
    """March's electricity bill only: not April's, not March's water bill, not the receipt;
    a month named without its year is the latest one the documents have."""
    jobs = store_bills(db, utcnow())
    grounds = _gather(db, "How much did we pay for electricity in March?")
    computed = grounds.computed
    assert computed is not None and computed.operation == "sum"
    assert [(t.currency, t.amount, t.documents) for t in computed.totals] == [
        ("VND", Decimal("1250000"), 1)
    ]
    assert [r.job_id for r in computed.rows] == [jobs["march"]]
    assert computed.period is not None and computed.period.label == "March 2025"
    text = computed_text(computed, "en")
    assert "1,250,000 VND" in text and "March 2025" in text
    assert "1.250.000 VND" in computed_text(computed, "vi")
    fields = [s for s in grounds.sources if s.kind == "fields"]
    assert [s.job_id for s in fields] == [jobs["march"]]
    total = next(line for line in fields[0].lines if line.text.startswith("InvoiceTotal"))
    assert total.bbox is not None and total.page == 1


def test_a_count_and_a_vietnamese_sum_read_the_same_fields(db: Database) -> None:
    store_bills(db, utcnow())
    count = _gather(db, "How many electricity bills do we have?")
    vietnamese = _gather(db, "Tiền điện tháng 4/2025 hết bao nhiêu?")
    assert count.computed is not None and count.computed.operation == "count"
    assert computed_text(count.computed, "en").startswith("You have 2 electricity bills")
    assert vietnamese.intent.language == "vi"
    assert vietnamese.computed is not None
    assert computed_text(vietnamese.computed, "vi") == (
        "Tổng tiền của 1 hóa đơn tiền điện tháng 4/2025 là 980.000 VND."
    )


def test_a_field_of_the_one_matching_document_is_answered(db: Database) -> None:
    jobs = store_bills(db, utcnow())
    grounds = _gather(db, "When was the AEON receipt issued?")
    computed = grounds.computed
    assert computed is not None and computed.operation == "field"
    assert (computed.field_name, computed.field_value) == ("TransactionDate", "2018-03-12")
    assert [r.job_id for r in computed.rows] == [jobs["receipt"]]


def test_a_question_naming_what_no_field_holds_gets_passages_not_a_sum(db: Database) -> None:
    """ "Spend on bread" is no vendor and no kind of document: summing every receipt would
    be a precise wrong answer, so the page that prints BREAD is the source instead."""
    jobs = store_bills(db, utcnow())
    grounds = _gather(db, "How much did we spend on bread?")
    assert grounds.computed is None
    [passage] = grounds.sources
    assert passage.kind == "passage" and passage.job_id == jobs["receipt"]
    bread = next(line for line in passage.lines if "BREAD" in line.text)
    assert bread.text == "1 BREAD 3.50" and bread.bbox is not None


def test_other_owners_and_older_reads_of_a_document_are_not_counted(db: Database) -> None:
    """Someone else's bills are not the caller's; a bill read twice counts once, by its
    newest reading."""
    now = utcnow()
    store_bills(db, now, owner="someone-else")
    jobs = store_bills(db, now)
    again = read_again(db, now, jobs["march"], electricity_bill("2025-03-05", "1,300,000", 430))
    grounds = _gather(db, "how much for electricity in march 2025")
    assert grounds.computed is not None and grounds.computed.documents == 1
    assert [(r.job_id, r.total) for r in grounds.computed.rows] == [(again, Decimal("1300000"))]


def test_document_ids_narrow_the_sum_and_the_passages(db: Database) -> None:
    jobs = store_bills(db, utcnow())
    with db.read() as session:
        april = get_job(session, owner=LOCAL_OWNER, job_id=jobs["april"]).document_id
    grounds = _gather(db, "how much for electricity", (april,))
    assert grounds.computed is not None
    assert [r.document_id for r in grounds.computed.rows] == [april]
    assert {s.document_id for s in grounds.sources if s.document_id} == {april}
