"""Search: query latency over 10,000 indexed pages, and what indexing adds to storing a result.

Pages of about 300 words are generated (a Zipf-distributed vocabulary of 5,000 made-up
words, the common words of invoices, Vietnamese words with their accents, amounts and
order numbers) and indexed with :func:`untxt.search.index.index_pages`, the function the
queue's completion calls, ten pages a job. Then, for each database:

- query latency, in this process, of :func:`untxt.search.search` (the SQL and the
  snippets, highlights and boxes of the 20 hits returned) for one-word, two-word, prefix
  and phrase queries drawn from the pages' own words;
- storing a one-page result through the real completion (``complete_only_page``) with and
  without its index rows, alternating, on the 10,000-page index: the difference of the
  medians, plus the time to turn the page into index text (done outside the transaction),
  is what indexing adds, set against one page's OCR (about a second with Tesseract).

    python bench/search.py [--pages 10000] [--queries 200] [--stores 200] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from typing import Any

from sqlalchemy import text

from common import database, new_job, percentile, report
from untxt.db import Database, upgrade
from untxt.db.types import utcnow
from untxt.document import BBox, Block, Document, Line, Page, Word
from untxt.options import JobOptions
from untxt.queue import claim, complete_only_page
from untxt.search import SearchFilters, parse_query, search
from untxt.search.index import index_pages
from untxt.search.text import document_text

OWNER = "bench"
OCR_SECONDS = 1.0  # one page through Tesseract on this machine, as ocr_throughput.py measures
COMMON = [
    "invoice",
    "total",
    "amount",
    "paid",
    "receipt",
    "number",
    "customer",
    "order",
    "service",
    "date",
    "account",
    "balance",
    "payment",
    "due",
    "tax",
    "net",
    "shipping",
    "address",
    "phone",
    "street",
    "city",
    "delivery",
    "quantity",
    "price",
    "unit",
    "the",
    "of",
    "and",
    "to",
    "in",
    "for",
    "on",
    "with",
    "by",
    "from",
    "at",
    "as",
    "is",
    "was",
    "be",
    "are",
    "this",
    "that",
]
VIETNAMESE = [
    "hóa",
    "đơn",
    "tổng",
    "tiền",
    "thanh",
    "toán",
    "điện",
    "nước",
    "giá",
    "trị",
    "gia",
    "tăng",
    "khách",
    "hàng",
    "số",
    "lượng",
]
KINDS = ("one word", "two words", "prefix", "phrase")


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    syllables = [a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "an", "or")]
    words = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


def page(rng: random.Random, number: int, words: list[str], cum: list[float]) -> Page:
    """A page of about 300 words in lines of 10, each word boxed."""
    lines = []
    y = 100
    for _ in range(30):
        tokens = []
        for _ in range(10):
            roll = rng.random()
            if roll < 0.35:
                tokens.append(rng.choice(COMMON))
            elif roll < 0.40:
                tokens.append(rng.choice(VIETNAMESE))
            elif roll < 0.45:
                tokens.append(f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}")
            elif roll < 0.47:
                tokens.append(str(rng.randint(4500000000, 4500099999)))
            else:
                tokens.append(rng.choices(words, cum_weights=cum)[0])
        x, line_words = 100, []
        for token in tokens:
            box = BBox(x0=x, y0=y, x1=x + 20 * len(token), y1=y + 40)
            line_words.append(Word(text=token, bbox=box, confidence=0.9))
            x = box.x1 + 20
        lines.append(Line(bbox=BBox.union(w.bbox for w in line_words), words=line_words))
        y += 60
    block = Block(bbox=BBox.union(line.bbox for line in lines), lines=lines)
    return Page(
        number=number,
        width=2550,
        height=3300,
        blocks=[block],
        engine="tesseract",
        languages=["eng"],
        seconds=OCR_SECONDS,
    )


def new_search_job(db: Database, pages: int, priority: int = 0) -> str:
    # The loaded jobs stay queued at priority 0; a timed one (10) is the next claimed.
    options = JobOptions(no_cache=True, priority=priority)
    return new_job(db, owner=OWNER, pages=pages, options=options)


def load(
    db: Database, rng: random.Random, pages: int, words: list[str]
) -> tuple[float, list[Document]]:
    """Index ``pages`` generated pages, ten a job; the seconds it took and a sample of pages."""
    cum = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    sample: list[Document] = []
    seconds = 0.0
    for start in range(0, pages, 10):
        count = min(10, pages - start)
        document = Document.from_pages([page(rng, n, words, cum) for n in range(1, count + 1)])
        if len(sample) < 50:
            sample.append(document)
        job = new_search_job(db, count)
        began = time.perf_counter()
        texts = document_text(document)
        with db.write() as session:
            index_pages(session, job, texts)
        seconds += time.perf_counter() - began
    return seconds, sample


def queries(rng: random.Random, sample: list[Document], count: int) -> dict[str, list[str]]:
    """Queries of each kind made of words the pages hold."""
    lines = [
        [w.text for w in line.words]
        for document in sample
        for p in document.pages
        for line in p.blocks[0].lines
    ]
    made: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for _ in range(count):
        line = rng.choice(lines)
        i = rng.randrange(len(line) - 1)
        other = rng.choice(rng.choice(lines))
        made["one word"].append(line[i])
        made["two words"].append(f"{line[i]} {other}")
        made["prefix"].append(line[i][:3] + "*")
        made["phrase"].append(f'"{line[i]} {line[i + 1]}"')
    return made


def latencies(db: Database, made: dict[str, list[str]]) -> dict[str, dict[str, float]]:
    out = {}
    filters = SearchFilters(owner=OWNER)
    for kind, qs in made.items():
        times, hits = [], []
        with db.read() as session:
            for q in qs:
                began = time.perf_counter()
                found = search(session, parse_query(q), filters, limit=20)
                times.append(time.perf_counter() - began)
                hits.append(len(found))
        out[kind] = {
            "p50_ms": percentile(times, 50) * 1000,
            "p99_ms": percentile(times, 99) * 1000,
            "mean_hits": statistics.fmean(hits),
        }
    return out


def storing(db: Database, sample: list[Document], count: int) -> dict[str, float]:
    """Median completion of a one-page job with and without its index rows, alternating."""
    with_index, without, texts_made = [], [], []
    for i in range(count):
        document = Document.from_pages([sample[i % len(sample)].pages[0]])
        job = new_search_job(db, 1, priority=10)
        with db.write() as session:
            lease = claim(session, owner="bench-worker", ttl=60, now=utcnow())
        assert lease is not None and lease.job_id == job
        began = time.perf_counter()
        texts = document_text(document) if i % 2 else []
        made = time.perf_counter() - began
        began = time.perf_counter()
        with db.write() as session:
            complete_only_page(session, lease, results=[], now=utcnow(), search=texts)
        took = time.perf_counter() - began
        if i % 2:
            with_index.append(took)
            texts_made.append(made)
        else:
            without.append(took)
    store_ms = statistics.median(without) * 1000
    with_ms = statistics.median(with_index) * 1000
    text_ms = statistics.median(texts_made) * 1000
    extra_ms = max(0.0, with_ms - store_ms) + text_ms
    return {
        "store_ms": store_ms,
        "store_with_index_ms": with_ms,
        "page_text_ms": text_ms,
        "extra_ms": extra_ms,
        "extra_pct_of_ocr": extra_ms / (OCR_SECONDS * 1000) * 100,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    rows: list[list[Any]] = []
    data: dict[str, Any] = {"pages": args.pages, "words_per_page": 300, "backends": {}}
    for backend in args.backend or ["sqlite", "postgresql"]:
        rng = random.Random(17)
        with database(backend) as url:
            db = Database(url)
            try:
                upgrade(db)
                load_s, sample = load(db, rng, args.pages, vocabulary(rng))
                if backend == "postgresql":
                    # A live server's autovacuum analyzes a table that grew; this one
                    # grew in one burst a moment ago, and the planner needs its statistics.
                    with db.write() as session:
                        session.execute(text("ANALYZE search_pages"))
                timing = latencies(db, queries(rng, sample, args.queries))
                stored = storing(db, sample, args.stores)
            finally:
                db.dispose()
        data["backends"][backend] = {
            "index_seconds": load_s,
            "queries": timing,
            "storing": stored,
        }
        for kind in KINDS:
            t = timing[kind]
            rows.append([backend, kind, t["p50_ms"], t["p99_ms"], t["mean_hits"]])
        rows.append(
            [
                backend,
                "store +index",
                stored["store_ms"],
                stored["store_with_index_ms"],
                f"+{stored['extra_ms']:.2f} ms = {stored['extra_pct_of_ocr']:.2f}% of OCR",
            ]
        )
    report(
        "search",
        f"search over {args.pages} pages of ~300 words"
        " (query ms: p50, p99; store ms: without, with)",
        ["database", "query", "p50 / without ms", "p99 / with ms", "hits / extra"],
        rows,
        data,
    )


if __name__ == "__main__":
    main()
