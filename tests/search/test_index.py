"""The index on SQLite and PostgreSQL: folding, prefixes, phrases, numbers, ranking, removal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.formats.documents import make_document
from tests.queue.helpers import finish_page, make_job, must_claim
from tests.search.helpers import page_of, store, store_with_json
from untxt.db import Database
from untxt.db.types import utcnow
from untxt.queue import Outcome, complete_job
from untxt.queue.jobs import delete_job
from untxt.queue.retention import delete_expired_jobs
from untxt.search import Hit, SearchFilters, parse_query, reindex, search
from untxt.search.text import document_text
from untxt.storage import LocalBlobStore

RECEIPT = [
    "GREENLEAF GROCERS LTD",
    "8 HARBOUR ROAD, PORTSMOUTH",
    "RECEIPT",
    "Date: 14/03/2019 Time: 12:41",
    "2 x 1.50 APPLES 3.00",
    "Subtotal 7.20",
    "VAT 1.44",
    "TOTAL 8.64",
]


def find(db: Database, q: str, owner: str | None = "alice", limit: int = 20) -> list[Hit]:
    with db.read() as session:
        return search(session, parse_query(q), SearchFilters(owner=owner), limit=limit)


def jobs(hits: list[Hit]) -> list[str]:
    return [hit.job_id for hit in hits]


def test_vietnamese_words_are_found_without_accents_or_capitals(db: Database) -> None:
    """``hoa don`` finds ``HÓA ĐƠN`` (đ folded to d), and the accented query finds it too."""
    job = store(db, utcnow(), page_of("HÓA ĐƠN GIÁ TRỊ GIA TĂNG", "Tổng tiền thanh toán"))
    store(db, utcnow(), page_of("invoice for hoa and other words"))
    assert jobs(find(db, "hoa don")) == [job]
    assert jobs(find(db, "Hóa Đơn")) == [job]
    assert jobs(find(db, "tong tien")) == [job]


def test_a_prefix_finds_the_words_it_begins(db: Database) -> None:
    """``elec*`` finds ``Electricity``; without the star the word must be whole."""
    job = store(db, utcnow(), page_of("Electricity bill March"))
    assert jobs(find(db, "elec*")) == [job]
    assert find(db, "elec") == []


def test_a_phrase_matches_its_words_in_order_only(db: Database) -> None:
    """``"total due"`` matches those two words together, not apart or reversed."""
    together = store(db, utcnow(), page_of("Total due 42.00"))
    store(db, utcnow(), page_of("due date", "total 42.00"))
    store(db, utcnow(), page_of("due total"))
    assert jobs(find(db, '"total due"')) == [together]
    assert len(find(db, "total due")) == 3


def test_numbers_and_amounts_are_found_as_printed(db: Database) -> None:
    """``428.16`` and ``4500032242`` are found as written, and not by their neighbours."""
    job = store(db, utcnow(), page_of("PO 4500032242", "Amount 428.16 VND"))
    store(db, utcnow(), page_of("Amount 428.61", "PO 4500032243"))
    assert jobs(find(db, "428.16")) == [job]
    assert jobs(find(db, "4500032242")) == [job]
    assert jobs(find(db, "amount 428.16")) == [job]


def test_a_page_naming_a_word_three_times_ranks_above_one_naming_it_once(db: Database) -> None:
    """Relevance: more occurrences in pages of the same length rank first, on both databases."""
    once = store(db, utcnow(), page_of("aeon mall receipt one", "paper paper paper paper"))
    thrice = store(db, utcnow(), page_of("aeon mall aeon receipt", "aeon paper paper paper"))
    hits = find(db, "aeon")
    assert jobs(hits) == [thrice, once]
    assert hits[0].score > hits[1].score


def test_a_hit_has_its_snippet_highlights_and_the_boxes_of_matched_words(db: Database) -> None:
    """Highlights are offsets into the plain snippet; boxes are the matched words' own."""
    document = page_of("Electricity bill", "Total due 428.16")
    store(db, utcnow(), document)
    [hit] = find(db, 'elec* "total due"')
    assert hit.filename == "scan.pdf"  # the uploaded file's name
    assert hit.page == 1
    assert (hit.width, hit.height) == (1000, 1400)
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Electricity", "Total", "due"]
    words = [w for line in document.pages[0].blocks[0].lines for w in line.words]
    expected = [w.bbox for w in words if w.text in {"Electricity", "Total", "due"}]
    assert hit.boxes == [[b.x0, b.y0, b.x1, b.y1] for b in expected]


def test_another_owners_pages_are_found_only_when_searching_everyone(db: Database) -> None:
    """Owner isolation: bob's page is not alice's hit; owner None (an admin's all) sees both."""
    mine = store(db, utcnow(), page_of("quarterly electricity"))
    theirs = store(db, utcnow(), page_of("quarterly electricity"), owner="bob")
    assert jobs(find(db, "electricity")) == [mine]
    assert jobs(find(db, "electricity", owner="bob")) == [theirs]
    assert sorted(jobs(find(db, "electricity", owner=None))) == sorted([mine, theirs])


def test_deleting_a_job_removes_its_hits(db: Database) -> None:
    """The queue's delete takes the job's index rows with it."""
    job = store(db, utcnow(), page_of("unique marmalade"))
    with db.write() as session:
        delete_job(session, owner="alice", job_id=job)
    assert find(db, "marmalade") == []


def test_retention_removes_the_hits_of_expired_jobs(db: Database) -> None:
    """Jobs past the retention cutoff go with their index rows; newer ones keep theirs."""
    old = store(db, utcnow() - timedelta(days=40), page_of("vintage marmalade"))
    new = store(db, utcnow(), page_of("fresh marmalade"))
    with db.write() as session:
        assert delete_expired_jobs(session, cutoff=utcnow() - timedelta(days=30), limit=10) == 1
    assert old not in jobs(find(db, "marmalade"))
    assert jobs(find(db, "marmalade")) == [new]


def test_reindex_rebuilds_the_index_from_the_stored_json_results(
    db: Database, tmp_path: Path
) -> None:
    """After the index is emptied, a rebuild reads every JSON result and finds its pages again."""
    storage = LocalBlobStore(tmp_path / "blobs")
    now = utcnow()
    job = store_with_json(db, storage, now, page_of("Hóa đơn tiền điện"))
    without_json = store(db, now, page_of("tien dien"))
    with db.write() as session:
        session.execute(text("DELETE FROM search_pages"))
    assert find(db, "tien dien") == []
    done = reindex(db, storage)
    assert (done.jobs, done.pages, done.skipped) == (1, 1, [without_json])
    assert jobs(find(db, "tien dien")) == [job]


def test_field_filters_narrow_hits_to_documents_with_those_fields(db: Database) -> None:
    """vendor:, type:, total> and date>= filter on the extracted fields' summary columns."""
    receipt = store(db, utcnow(), page_of(*RECEIPT), extract=True)
    store(db, utcnow(), page_of("RECEIPT", "nothing else here"))
    assert jobs(find(db, "receipt vendor:greenleaf")) == [receipt]
    assert jobs(find(db, "receipt type:receipt total>8 total<=8.64")) == [receipt]
    assert jobs(find(db, "receipt date>=2019-03-14 date<2019-03-15")) == [receipt]
    assert find(db, "receipt total>100") == []
    assert find(db, "receipt vendor:aeon") == []
    # Filters alone list the pages of the documents that have those fields.
    assert jobs(find(db, "vendor:greenleaf")) == [receipt]


@pytest.mark.parametrize("limit", [1, 2])
def test_paging_by_offset_returns_every_hit_once(db: Database, limit: int) -> None:
    """Hits in pages of ``limit`` from successive offsets add up to the whole list, in order."""
    for count in range(1, 5):
        store(db, utcnow(), page_of(" ".join(["aeon"] * count), "filler words here"))
    whole = jobs(find(db, "aeon"))
    paged: list[str] = []
    with db.read() as session:
        for offset in range(0, 4, limit):
            got = search(
                session, parse_query("aeon"), SearchFilters("alice"), limit=limit, offset=offset
            )
            paged += jobs(got)
    assert paged == whole and len(whole) == 4


def test_the_pages_of_an_assembled_job_are_found_by_their_own_numbers(db: Database) -> None:
    """A multi-page job is indexed when its assembly completes it, page by page."""
    now = utcnow()
    document = make_document([[["cover letter"]], [["Electricity bill", "Total due 428.16"]]])
    job = make_job(db, now, pages=2)
    done = [finish_page(db, must_claim(db, "w1", now), now) for _ in range(2)]
    assemble = done[-1].assemble
    assert assemble is not None
    with db.write() as session:
        outcome = complete_job(
            session, assemble, results=[], now=now, search=document_text(document)
        )
    assert outcome is Outcome.DONE
    [hit] = find(db, "electricity 428.16")
    assert (hit.job_id, hit.page) == (job, 2)
    assert [h.page for h in find(db, "letter")] == [1]
