"""Money as printed: ``1,234.56``, ``1.234,56``, ``5.000.000 đ``, ``RM4.00``, ``$8.20``.

Whether ``.`` or ``,`` marks decimals is decided once per document, from the
amounts it prints (two decimals after one mark, groups of three after the other),
and only where the document gives no evidence, from its languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Signs and words that name a currency, folded to lower case, and their ISO 4217 code.
CURRENCY_MARKS: dict[str, str] = {
    "us$": "USD",
    "s$": "SGD",
    "a$": "AUD",
    "c$": "CAD",
    "hk$": "HKD",
    "nz$": "NZD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₫": "VND",
    "đ": "VND",
    "vnđ": "VND",
    "vnd": "VND",
    "dong": "VND",
    "đồng": "VND",
    "rm": "MYR",
    "myr": "MYR",
    "₹": "INR",
    "rs": "INR",
    "฿": "THB",
    "rp": "IDR",
    "₱": "PHP",
    "₩": "KRW",
    "zł": "PLN",
    "kč": "CZK",
    "fr.": "CHF",
}
ISO_CURRENCIES = frozenset(
    {
        "USD",
        "EUR",
        "GBP",
        "VND",
        "MYR",
        "SGD",
        "JPY",
        "CNY",
        "AUD",
        "CAD",
        "CHF",
        "INR",
        "THB",
        "IDR",
        "PHP",
        "HKD",
        "KRW",
        "NZD",
        "SEK",
        "NOK",
        "DKK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BRL",
        "MXN",
        "ZAR",
        "AED",
        "SAR",
        "TWD",
    }
)

# Languages whose documents write decimals with a comma, when the text itself says nothing.
_COMMA_LANGUAGES = frozenset(
    {
        "vie",
        "deu",
        "fra",
        "spa",
        "ita",
        "por",
        "nld",
        "pol",
        "ces",
        "slk",
        "hun",
        "ron",
        "swe",
        "nor",
        "dan",
        "fin",
        "tur",
        "rus",
        "ukr",
        "ind",
    }
)

_CODES = "|".join(sorted(ISO_CURRENCIES, key=len, reverse=True))
_SIGNS = "|".join(
    re.escape(m) for m in sorted(CURRENCY_MARKS, key=len, reverse=True) if not m.isalpha()
)
_PREFIX = rf"(?:(?P<pre>{_SIGNS}|(?<![A-Za-z])(?:RM|Rp|Rs|{_CODES})(?=[\s\d.]))(?P<pre_gap>\s?))"
_SUFFIX = (
    rf"(?:(?P<post_gap>\s?)(?P<post>{_SIGNS}|(?:VNĐ|VND|vnđ|vnd|đồng|dong|đ|{_CODES})(?![A-Za-z])))"
)
# Thousands grouped by a dot, comma, apostrophe (plain or typographic) or a narrow space.
_GROUP = ".,'\u2019\u00a0\u202f"
_NUMBER = (
    rf"(?P<num>\d{{1,3}}(?:[{_GROUP}]\d{{3}})+(?:[.,]\d{{1,3}})?|\d+(?:[.,]\d{{1,3}})?"
    r"|[.,]\d{2}(?!\d))"
)
AMOUNT = re.compile(
    rf"(?<![\w.,])(?P<neg>-|\()?{_PREFIX}?(?P<neg2>-)?{_NUMBER}(?![\d]|[.,]\d)\)?{_SUFFIX}?(?![\w])",
    re.IGNORECASE,
)
_TWO_DOT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d.,])")
_TWO_COMMA = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})*,\d{2}(?![\d.,])")
_GROUPS_DOT = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3}){2,}(?![\d,]|\.\d)")
_GROUPS_COMMA = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){2,}(?![\d.]|,\d)")


@dataclass(frozen=True)
class Amount:
    """An amount found in a text: where, its value, and the currency printed with it."""

    start: int
    end: int
    value: Decimal
    currency: str | None
    #: Printed with a decimal part, thousands groups or a currency: surely money.
    marked: bool


def decimal_mark(text: str, languages: Sequence[str] = ()) -> str:
    """``.`` or ``,``: the mark this text writes decimals with."""
    dot = len(_TWO_DOT.findall(text)) + 2 * len(_GROUPS_COMMA.findall(text))
    comma = len(_TWO_COMMA.findall(text)) + 2 * len(_GROUPS_DOT.findall(text))
    if dot != comma:
        return "." if dot > comma else ","
    return "," if languages and languages[0] in _COMMA_LANGUAGES else "."


def parse_number(text: str, mark: str = ".") -> Decimal | None:
    """The value of a printed number, ``mark`` being the document's decimal mark."""
    digits = re.sub(r"[\s'\u2019\u00a0\u202f]", "", text)
    if not digits or not re.fullmatch(r"[\d.,]*\d[\d.,]*|[.,]\d+", digits):
        return None
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        decimal_char = "." if digits.rfind(".") > digits.rfind(",") else ","
    elif dots + commas == 0:
        decimal_char = None
    else:
        sep = "." if dots else ","
        after = len(digits) - digits.rfind(sep) - 1
        if dots + commas > 1:
            decimal_char = None
        elif sep == mark:
            decimal_char = sep
        else:
            decimal_char = None if after == 3 else sep
    if decimal_char is None:
        cleaned = digits.replace(".", "").replace(",", "")
    else:
        thousands = "," if decimal_char == "." else "."
        cleaned = digits.replace(thousands, "").replace(decimal_char, ".")
        if cleaned.count(".") > 1:
            return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def currency_code(mark: str | None) -> str | None:
    """The ISO code a printed currency mark stands for."""
    if not mark:
        return None
    folded = mark.strip().lower()
    if folded.upper() in ISO_CURRENCIES:
        return folded.upper()
    return CURRENCY_MARKS.get(folded)


def find_amounts(text: str, mark: str = ".") -> list[Amount]:
    """Every number of ``text`` that may be money, left to right."""
    found = []
    for match in AMOUNT.finditer(text):
        if text[match.end() : match.end() + 2].strip().startswith("%"):
            continue  # a rate, not money
        value = parse_number(match["num"], mark)
        if value is None:
            continue
        number = match["num"]
        if match["neg"] == "(" and not match.group(0).endswith(")"):
            continue
        negative = bool(match["neg"] or match["neg2"])
        currency = currency_code(match["pre"]) or currency_code(match["post"])
        grouped = bool(re.search(rf"\d[{_GROUP}]\d{{3}}(?!\d)", number))
        has_decimals = bool(re.search(rf"{re.escape(mark)}\d{{1,2}}$", number))
        # A currency set apart by a space is not part of the amount as printed.
        start, end = match.span()
        if match["pre"] and match["pre_gap"]:
            start = match.start("neg2") if match["neg2"] else match.start("num")
        if match["post"] and match["post_gap"]:
            end = match.start("post_gap")
        found.append(
            Amount(
                start=start,
                end=end,
                value=-value if negative else value,
                currency=currency,
                marked=bool(currency or grouped or has_decimals),
            )
        )
    return found
