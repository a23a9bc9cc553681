"""What a question asks, read from its words: a sum, a count or one field, of which documents.

Only questions whose shape is unmistakable get an operation: "how much did we pay for
electricity in March?", "bao nhiêu hóa đơn tháng 3?", "when was the AEON receipt
issued?". Anything else has none, and is answered from passages (or by a language
model). Reading a question wrong would give a precise wrong number, so every cue here
is a phrase with one meaning; when unsure, the question gets no operation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from untxt.ask.periods import Period, find_period
from untxt.search.text import fold_fast, folded_words

Operation = Literal["sum", "count", "field"]
Language = Literal["en", "vi"]

# Letters that only Vietnamese among the languages untxt reads writes (with its tones).
_VIETNAMESE_LETTERS = re.compile(
    "[ăâđêôơưàảãạằẳẵặầẩẫậèẻẽẹềểễệìỉĩịòỏõọồổỗộờởỡợùủũụừửữựỳỷỹỵ]", re.IGNORECASE
)
_VIETNAMESE_WORDS = re.compile(r"\b(?:bao nhieu|hoa don|tong cong|thang \d|nhung|cua toi)\b")

# Folded text; checked in this order: "bao nhieu hoa don" is a count, not a sum.
_COUNT = re.compile(
    r"\bhow many\b|\bnumber of\b|\bcount (?:of |the |my |our )?\w|"
    r"\bbao nhieu (?:hoa don|bien lai|phieu|chung tu|tai lieu|lan|cai)\b|\bco may\b|\bso luong\b"
)
_SUM = re.compile(
    r"\bhow much\b|\btotal (?:amount|spent|spend|paid|cost|of)\b|\bthe total\b|\bsum of\b|"
    r"\bspen[dt]\b|"
    r"\bbao nhieu tien\b|\bhet bao nhieu\b|\btong (?:cong|tien|so tien|chi)\b|"
    r"\b(?:tra|chi|thanh toan|tieu) (?:\w+ )?bao nhieu\b|\bbao nhieu\b"
)
#: A question about one field of one document: the field it names.
_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("due_date", re.compile(r"\bdue\b|\bhan (?:thanh toan|chot)\b")),
    (
        "tax_id",
        re.compile(r"\btax (?:id|number|code)\b|\bvat (?:id|number)\b|\bmst\b|\bma so thue\b"),
    ),
    ("invoice_id", re.compile(r"\b(?:invoice|receipt|bill) (?:number|no|id)\b|\bso hoa don\b")),
    (
        "date",
        re.compile(r"^when\b|\bwhat date\b|\bwhich day\b|\bngay nao\b|\bkhi nao\b|\bluc nao\b"),
    ),
    (
        "vendor",
        re.compile(
            r"^who\b|\bwhich (?:vendor|store|shop|supplier|company|merchant)\b|"
            r"\b(?:cua hang|cong ty|nha cung cap|ben) nao\b|\bai (?:ban|xuat)\b"
        ),
    ),
)
#: Utility bills by what they bill; "dien thoai" (phone) and "dien tu" (electronic, as
#: in e-invoice) are not electricity, so telecom is matched first and those are dropped.
_UTILITIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "telecom",
        re.compile(
            r"\b(?:telecom\w*|phone|mobile|internet|broadband|dien thoai|vien thong|cuoc di dong)\b"
        ),
    ),
    ("water", re.compile(r"\bwater\b|\btien nuoc\b|\bnuoc sinh hoat\b|\bcap nuoc\b")),
    ("electricity", re.compile(r"\belectric\w*|\bpower\b|\bkwh\b|\bdien(?! tu\b)\b")),
)
_TYPES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (("receipt",), re.compile(r"\breceipts?\b|\bbien lai\b|\bhoa don ban le\b")),
    (("utility_bill",), re.compile(r"\butility bills?\b")),
    (("invoice", "utility_bill"), re.compile(r"\binvoices?\b|\bbills?\b")),
)

#: Words that say what kind of question it is, not what it is about.
_STOPWORDS = frozenset(
    """a an and are as at be by can could did do does for from had has have how i in is it
    its me much many my of on or our paid pay per spend spent that the their them these
    this those to total us was we were what when where which who whom why will with you
    your all any amount sum count number did show tell find give list va cua cho toi
    chung ta ban bao nhieu tong cong tien hoa don da la co khong nao nhung cac mot trong
    tai tu den voi ve thang nam ngay duoc bi thi ma nay kia do gi ai khi luc tra chi het
    thanh toan so""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Intent:
    """A question read: its language, what it asks for, of which documents, and its words."""

    language: Language
    operation: Operation | None
    #: For ``field``: due_date, tax_id, invoice_id, date or vendor.
    field: str | None
    #: Utility bills of one kind: electricity, water or telecom.
    utility: str | None
    #: Document types the question names, None for any that has a vendor and a total.
    types: tuple[str, ...] | None
    period: Period | None
    #: Folded words that say what it is about: what passages and vendors are matched by.
    words: tuple[str, ...]


def primary_language(tag: str) -> str:
    """The language of a tag, without its region: ``vi`` of ``vi-VN``."""
    return tag.split("-")[0].lower()


def answer_language(tag: str) -> Language:
    """The language untxt itself words an answer in: Vietnamese for ``vi``, else English."""
    return "vi" if primary_language(tag) == "vi" else "en"


def question_language(question: str) -> Language:
    """Vietnamese if the question is written in it (accents or, unaccented, its phrases)."""
    if _VIETNAMESE_LETTERS.search(question):
        return "vi"
    return "vi" if _VIETNAMESE_WORDS.search(fold_fast(question).lower()) else "en"


def _first(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str | None:
    return next((name for name, pattern in patterns if pattern.search(text)), None)


def read_question(question: str, *, today: dt.date) -> Intent:
    """Read ``question``; ``today`` anchors "last month" and months named without a year."""
    folded = " ".join(folded_words(question))
    operation: Operation | None = None
    field = _first(_FIELDS, folded)
    if _COUNT.search(folded):
        operation = "count"
    elif _SUM.search(folded):
        operation = "sum"
    elif field is not None:
        operation = "field"
    utility = _first(_UTILITIES, folded)
    types = next((kinds for kinds, pattern in _TYPES if pattern.search(folded)), None)
    if utility is not None:
        types = ("utility_bill",)
    period = find_period(fold_fast(question), today=today)
    spent = set(period.words if period else ())
    words = tuple(
        w
        for w in dict.fromkeys(folded.split())
        if w not in _STOPWORDS and w not in spent and (len(w) > 1 or w.isdigit())
    )
    return Intent(
        language=question_language(question),
        operation=operation,
        field=field if operation == "field" else None,
        utility=utility,
        types=types,
        period=period,
        words=words,
    )
