"""Periods named in a question: ISO dates, months, quarters, years, "last month", "tháng 3".

Dates written as 05/03/2025 are left alone: whether that is March or May depends on
the writer, and a sum over the wrong month is worse than none.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from untxt.search.text import folded_words

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_ABBREVIATIONS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_ABBREVIATIONS["sept"] = 9
_MONTH_WORD = "|".join(sorted({*_MONTHS, *_ABBREVIATIONS}, key=len, reverse=True))
_YEAR = r"(19\d{2}|20\d{2})"

_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NAMED_MONTH = re.compile(
    rf"(?:\b(in|of|for|during|since)\s+)?\b({_MONTH_WORD})\b\.?(?:,?\s+(?:of\s+)?{_YEAR}\b)?"
)
_VI_MONTH = re.compile(rf"\bthang\s+(\d{{1,2}})\b(?:\s*(?:/|-|nam)\s*{_YEAR}\b)?")
_NUMERIC_MONTH = re.compile(rf"\b{_YEAR}-(\d{{1,2}})\b(?!-\d)|(?<![\d/.-])(\d{{1,2}})/{_YEAR}\b")
_QUARTER = re.compile(rf"\b(?:q|quy\s+)([1-4])\b(?:\s*(?:/|-|nam)?\s*{_YEAR}\b)?")
_YEAR_ONLY = re.compile(rf"\b(?:in|during|for|of|nam)\s+{_YEAR}\b")
_RELATIVE = re.compile(
    r"\b(?:(last|previous|this|current) (month|year)|thang (truoc|nay)|nam (ngoai|truoc|roi|nay))\b"
)


@dataclass(frozen=True)
class Period:
    """Dates from ``start`` to ``end``, both included, and the words that named them."""

    start: dt.date
    end: dt.date
    label: str
    words: tuple[str, ...]
    #: Set when a month was named without its year: ``start`` is then its latest
    #: occurrence up to today, which the data may move back (see ``in_year``).
    month: int | None = None

    def in_year(self, year: int) -> Period:
        """The same month in ``year``."""
        assert self.month is not None
        return _month(year, self.month, self.words, self.month)


def _month(year: int, month: int, words: tuple[str, ...], unnamed: int | None = None) -> Period:
    last = calendar.monthrange(year, month)[1]
    label = f"{calendar.month_name[month]} {year}"
    return Period(dt.date(year, month, 1), dt.date(year, month, last), label, words, unnamed)


def _year(year: int, words: tuple[str, ...]) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), str(year), words)


def _latest(month: int, today: dt.date) -> int:
    return today.year if month <= today.month else today.year - 1


def _words(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(folded_words(match.group()))


def _relative(match: re.Match[str], today: dt.date) -> Period:
    which = (match[1] or "") + (match[3] or "") + (match[4] or "")
    unit = match[2] or ("month" if match[3] else "year")
    previous = which in {"last", "previous", "truoc", "ngoai", "roi"}
    if unit == "year":
        return _year(today.year - previous, _words(match))
    first = today.replace(day=1)
    if previous:
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return _month(first.year, first.month, _words(match))


def _named(match: re.Match[str], today: dt.date) -> Period | None:
    word, year = match[2], match[3]
    # "may" is a verb and a three-letter month a word too often: either needs a year or
    # a preposition before it to be a month.
    if (word == "may" or word in _ABBREVIATIONS) and not (year or match[1]):
        return None
    month = _MONTHS.get(word) or _ABBREVIATIONS[word]
    if year:
        return _month(int(year), month, _words(match))
    return _month(_latest(month, today), month, _words(match), month)


def find_period(text: str, *, today: dt.date) -> Period | None:
    """The period ``text`` (a question, folded: lower case, no accents) names, if any."""
    text = text.lower()
    days = [
        dt.date(int(y), int(m), int(d)) for y, m, d in _ISO_DAY.findall(text) if _valid(y, m, d)
    ]
    if days:
        start, end = min(days), max(days)
        label = start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
        return Period(start, end, label, tuple(folded_words(" ".join(d.isoformat() for d in days))))
    if match := _RELATIVE.search(text):
        return _relative(match, today)
    if (match := _VI_MONTH.search(text)) and 1 <= int(match[1]) <= 12:
        number = int(match[1])
        if match[2]:
            return _month(int(match[2]), number, _words(match))
        return _month(_latest(number, today), number, _words(match), number)
    if match := _NUMERIC_MONTH.search(text):
        year, month = (match[1], match[2]) if match[1] else (match[4], match[3])
        if 1 <= int(month) <= 12:
            return _month(int(year), int(month), _words(match))
    if match := _QUARTER.search(text):
        quarter, year = int(match[1]), int(match[2]) if match[2] else today.year
        start = dt.date(year, 3 * quarter - 2, 1)
        end = _month(year, 3 * quarter, ()).end
        return Period(start, end, f"Q{quarter} {year}", _words(match))
    for match in _NAMED_MONTH.finditer(text):
        if period := _named(match, today):
            return period
    if match := _YEAR_ONLY.search(text):
        return _year(int(match[1]), _words(match))
    return None


def _valid(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True
