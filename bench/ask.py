"""Questions over real receipts: how often ``/v1/ask``'s database answers are right.

The 40 scanned receipts of ``../shared/eval/sroie-dev`` are read by ``untxt ocr
--extract auto -f json`` (real OCR, real extraction) and stored through the queue's
completion path into a fresh SQLite database, as a worker stores them. Questions are
then made from the set's own key files, not from what untxt read:

- for each merchant, by the longest word of its name that is no legal form:
  "How much did we spend at WORD?" (the sum of the totals of the receipts whose
  merchant name holds WORD) and "How many receipts from WORD?";
- for each month the receipts are dated in: "How much did we spend in MONTH YEAR?"
  and "How many receipts in MONTH YEAR?".

Each is asked through :func:`untxt.ask.answer.gather`, what ``POST /v1/ask`` runs
without a language model. An answer is *right* when the database's sum (over all
currencies) or count equals the key files', *wrong* when it differs, and *declined*
when no sum or count was given (the question fell back to passages). Wrong answers
come from misread fields (a merchant or total misread by OCR or extraction) or from
reading the question wrong.

    python bench/ask.py [--limit N] [--from DIR]
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import re
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import UNTXT, new_job, report
from untxt.ask.answer import gather
from untxt.db import Database, upgrade
from untxt.db.types import utcnow
from untxt.document import Document
from untxt.options import JobOptions
from untxt.queue import claim, complete_only_page
from untxt.search.text import document_text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "eval" / "sroie-dev"
OWNER = "bench"
_LEGAL = {"SDN", "BHD", "ENTERPRISE", "TRADING", "COMPANY", "MARKETING", "RESTAURANT"}


def read(images: list[Path], folder: Path) -> None:
    subprocess.run(
        [UNTXT, "ocr", "--extract", "auto", "-f", "json", "-o", str(folder), *map(str, images)],
        check=True,
    )


def store(db: Database, result: dict[str, Any], name: str) -> None:
    """Keep one receipt's result as a completed job's, with its fields and index rows."""
    fields = result.pop("fields", None)
    document = Document.model_validate(result)
    new_job(
        db,
        owner=OWNER,
        pages=len(document.pages),
        options=JobOptions(extract=["auto"]),
        filename=name,
        media_type="image/jpeg",
    )
    now = utcnow()  # after the enqueue: the job may run from its submit on
    with db.write() as session:
        lease = claim(session, owner="bench", ttl=60, now=now)
    assert lease is not None
    with db.write() as session:
        complete_only_page(
            session, lease, results=[], now=now, fields=fields, search=document_text(document)
        )


def amount(text: str) -> float:
    """A key file's total as printed (``RM20.40``, ``$8.20``, ``9.00``)."""
    return float(re.sub(r"[^\d.]", "", text))


def month_of(text: str) -> tuple[int, int]:
    """Year and month of a key file's date as printed: day first (``25/12/2018``,
    ``27-04-18``, ``09 JUN 2018``), as Malaysian receipts print them."""
    parts = re.findall(r"\d+|[A-Za-z]+", text)
    month = parts[1]
    number = int(month) if month.isdigit() else list(calendar.month_abbr).index(month[:3].title())
    year = int(parts[2])
    return (year + 2000 if year < 100 else year), number


def keyword(company: str) -> str | None:
    words = [w for w in re.findall(r"[A-Za-z]{4,}", company) if w.upper() not in _LEGAL]
    return max(words, key=len) if words else None


def questions(keys: dict[str, dict[str, str]]) -> list[tuple[str, str, float]]:
    """(question, kind, expected value) made from the key files alone."""
    made: list[tuple[str, str, float]] = []
    words = {word for k in keys.values() if (word := keyword(k["company"]))}
    for word in sorted(words):
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        chosen = [k for k in keys.values() if pattern.search(k["company"])]
        total = sum(amount(k["total"]) for k in chosen)
        made.append((f"How much did we spend at {word.title()}?", "sum", total))
        made.append((f"How many receipts from {word.title()}?", "count", float(len(chosen))))
    months: dict[tuple[int, int], list[dict[str, str]]] = defaultdict(list)
    for k in keys.values():
        months[month_of(k["date"])].append(k)
    for (year, month), chosen in sorted(months.items()):
        label = f"{calendar.month_name[month]} {year}"
        total = sum(amount(k["total"]) for k in chosen)
        made.append((f"How much did we spend in {label}?", "sum", total))
        made.append((f"How many receipts in {label}?", "count", float(len(chosen))))
    return made


def judge(db: Database, question: str, expected: float) -> tuple[str, float | None]:
    with db.read() as session:
        grounds = gather(
            session, question, owner=OWNER, document_ids=None, today=dt.date(2026, 12, 5)
        )
    computed = grounds.computed
    if computed is None or computed.operation == "field":
        return "declined", None
    if computed.operation == "count":
        got = float(computed.documents)
    else:
        got = float(sum(t.amount for t in computed.totals if t.amount is not None))
    return ("right" if abs(got - expected) < 0.005 else "wrong"), got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--from", dest="source", type=Path, help="JSON results read before")
    args = parser.parse_args()
    images = sorted(DATA.glob("img/*.jpg"))[: args.limit or None]
    keys = {p.stem: json.loads((DATA / "key" / f"{p.stem}.json").read_text()) for p in images}
    with tempfile.TemporaryDirectory(prefix="untxt-bench-ask-") as temp:
        folder = args.source or Path(temp) / "read"
        if args.source is None:
            folder.mkdir()
            read(images, folder)
        db = Database(f"sqlite:///{temp}/untxt.db")
        upgrade(db)
        for image in images:
            store(db, json.loads((folder / f"{image.stem}.json").read_text()), image.name)
        outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        detail = []
        for question, kind, expected in questions(keys):
            verdict, got = judge(db, question, expected)
            outcomes[kind][verdict] += 1
            detail.append({"question": question, "expected": expected, "got": got, "is": verdict})
        db.dispose()
    rows = []
    for kind in ("sum", "count"):
        o = outcomes[kind]
        asked = sum(o.values())
        rows.append([kind, asked, o["right"], o["wrong"], o["declined"], o["right"] / asked])
    report(
        "ask",
        f"questions about {len(images)} real receipts, answered by the database",
        ["question", "asked", "right", "wrong", "declined", "right share"],
        rows,
        {"receipts": len(images), "questions": detail},
    )
    for item in detail:
        if item["is"] != "right":
            print(
                f"{item['is']:8} {item['question']}  expected {item['expected']}  got {item['got']}"
            )


if __name__ == "__main__":
    main()
