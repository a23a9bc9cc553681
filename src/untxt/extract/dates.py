"""Dates and times as printed: ``25/12/2018``, ``2018-04-06``, ``03 Mar 2018``,
``March 3, 2018``, ``Ngày 05 tháng 10 năm 2025``, ``8:13:39 PM``.

Patterns run on folded text (lower case, no accents; see :func:`untxt.extract.view.fold`),
whose offsets are those of the printed text. A numeric date that could be read both
ways (``03/04/2018``) follows the order of the document's unambiguous dates, and
failing those, day first unless the document is in US dollars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

#: Month names and abbreviations, folded: English, Malay, French, German, Spanish, Italian.
MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "jan january januari janvier januar enero gennaio ene gen",
        "feb february februari fevrier fev februar febrero febbraio",
        "mar march mac mars marz marzo",
        "apr april avril avr abril aprile",
        "may mei mai mayo maggio mag",
        "jun june juni juin junio giugno giu",
        "jul july julai juillet juil juli julio luglio lug",
        "aug august ogos aout agosto ago",
        "sep sept september septembre septiembre settembre set",
        "oct october oktober okt octobre octubre ottobre ott",
        "nov november novembre noviembre",
        "dec december disember dis decembre dezember dez diciembre dicembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        MONTHS.setdefault(_name, _number)

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d{2}"
_ISO = re.compile(
    rf"(?<![\d.,/-])(?P<y>{_YEAR})(?P<s>[-/.])(?P<m>\d{{1,2}})(?P=s)(?P<d>\d{{1,2}})(?!\d)"
)
_NUMERIC = re.compile(
    r"(?<![\d.,/-])(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>(?:19|20)\d{2}|\d{2})"
    r"(?![\d]|[.,]\d)"
)
_DAY_MONTH = re.compile(
    rf"(?<![\d])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]{{0,2}}(?P<mon>{_MONTH})\.?"
    rf"[\s\-/.,']{{0,3}}(?P<y>{_YEAR}|\d{{2}})(?!\d)"
)
_MONTH_DAY = re.compile(
    rf"(?<![a-z])(?P<mon>{_MONTH})\.?\s{{0,2}}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s{{0,2}}"
    rf"(?P<y>{_YEAR})(?!\d)"
)
_VIETNAMESE = re.compile(
    r"ngay\W{0,2}(?P<d>\d{1,2})\W{0,2}thang\W{0,2}(?P<m>\d{1,2})\W{0,2}nam\W{0,2}"
    rf"(?P<y>{_YEAR})(?!\d)"
)
_TIME = re.compile(
    r"(?<![\d:.])(?P<h>[01]?\d|2[0-3])(?::(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?"
    r"|[.](?P<m2>[0-5]\d)(?=\s?[ap]\.?m))"
    r"(?:\s?(?P<ap>[ap])\.?m\.?)?(?![\d:])"
)


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: date
    #: Whether day and month could have been read the other way round.
    ambiguous: bool


@dataclass(frozen=True)
class FoundTime:
    start: int
    end: int
    value: time


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _make(year: int, month: int, day: int) -> date | None:
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_order(folded: str, *, us: bool = False) -> str:
    """``dmy`` or ``mdy``: how this text writes numeric dates."""
    dmy = mdy = 0
    for match in _NUMERIC.finditer(folded):
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            dmy += 1
        elif b > 12 >= a:
            mdy += 1
    if dmy != mdy:
        return "dmy" if dmy > mdy else "mdy"
    return "mdy" if us else "dmy"


def find_dates(folded: str, order: str = "dmy") -> list[FoundDate]:
    """Every date in ``folded`` text, left to right, overlapping matches dropped."""
    found: list[FoundDate] = []
    for match in _VIETNAMESE.finditer(folded):
        value = _make(int(match["y"]), int(match["m"]), int(match["d"]))
        if value:
            found.append(FoundDate(*match.span(), value, False))
    for match in _ISO.finditer(folded):
        value = _make(int(match["y"]), int(match["m"]), int(match["d"]))
        if value:
            found.append(FoundDate(*match.span(), value, False))
    for match in _NUMERIC.finditer(folded):
        a, b, year = int(match["a"]), int(match["b"]), _year(match["y"])
        day, month = (a, b) if order == "dmy" else (b, a)
        value = _make(year, month, day) or _make(year, day, month)
        if value:
            found.append(FoundDate(*match.span(), value, a <= 12 and b <= 12 and a != b))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(folded):
            value = _make(_year(match["y"]), MONTHS[match["mon"]], int(match["d"]))
            if value:
                found.append(FoundDate(*match.span(), value, False))
    return _without_overlaps(found)


def find_times(folded: str) -> list[FoundTime]:
    """Every time of day in ``folded`` text, left to right."""
    found = []
    for match in _TIME.finditer(folded):
        hour = int(match["h"])
        minute = int(match["m"] or match["m2"])
        second = int(match["s"] or 0)
        if match["ap"]:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if match["ap"] == "p" else 0)
        elif match["m2"]:
            continue
        found.append(FoundTime(*match.span(), time(hour, minute, second)))
    return found


def _without_overlaps(found: list[FoundDate]) -> list[FoundDate]:
    kept: list[FoundDate] = []
    for item in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept
