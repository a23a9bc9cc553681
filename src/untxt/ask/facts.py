"""What the database computed for a question, and how it is said in English or Vietnamese.

The sentences are built from the computed values alone; nothing here is a guess.
Amounts in different currencies are given apart, never added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from untxt.ask.intent import Intent, answer_language
from untxt.ask.periods import Period
from untxt.db.field_totals import CurrencyTotal, FieldRow, FieldScope


@dataclass
class Computed:
    """What the database answered: the operation, over which documents, and the rows used."""

    operation: Literal["sum", "count", "field"]
    scope: FieldScope
    intent: Intent
    #: The question's period, moved to the latest year with documents when it named a
    #: month without one.
    period: Period | None
    vendors: list[str]
    totals: list[CurrencyTotal] = field(default_factory=list)
    rows: list[FieldRow] = field(default_factory=list)
    #: For a field question: the field's name and its value as served.
    field_name: str | None = None
    field_value: object = None

    @property
    def documents(self) -> int:
        """How many documents the sum or count covers."""
        return sum(t.documents for t in self.totals)


_KINDS_EN: dict[str | tuple[str, ...] | None, tuple[str, str]] = {
    "electricity": ("electricity bill", "electricity bills"),
    "water": ("water bill", "water bills"),
    "telecom": ("phone or internet bill", "phone and internet bills"),
    ("utility_bill",): ("utility bill", "utility bills"),
    ("receipt",): ("receipt", "receipts"),
    ("invoice", "utility_bill"): ("invoice", "invoices"),
    None: ("invoice or receipt", "invoices and receipts"),
}
_KINDS_VI: dict[str | tuple[str, ...] | None, str] = {
    "electricity": "hóa đơn tiền điện",
    "water": "hóa đơn tiền nước",
    "telecom": "hóa đơn viễn thông",
    ("utility_bill",): "hóa đơn dịch vụ",
    ("receipt",): "biên lai",
    ("invoice", "utility_bill"): "hóa đơn",
    None: "hóa đơn và biên lai",
}


def _kind_key(computed: Computed) -> str | tuple[str, ...] | None:
    return computed.scope.utility or computed.scope.types


def _amount(value: Decimal, currency: str | None, language: str) -> str:
    places = 0 if value == value.to_integral_value() else 2
    text = f"{value:,.{places}f}"
    if language == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text} {currency}" if currency else f"{text} (no currency printed)"


def _whole_month(period: Period) -> bool:
    following = period.end + dt.timedelta(days=1)
    return period.start.day == 1 and following.day == 1 and (following - period.start).days < 32


def _period_en(period: Period | None) -> str:
    return f" dated {period.label}" if period else ""


def _period_vi(period: Period | None) -> str:
    if period is None:
        return ""
    if _whole_month(period):
        return f" tháng {period.start.month}/{period.start.year}"
    if period.start == dt.date(period.start.year, 1, 1) and period.end == dt.date(
        period.start.year, 12, 31
    ):
        return f" năm {period.start.year}"
    return f" từ {period.start.isoformat()} đến {period.end.isoformat()}"


def _vendors(computed: Computed, language: str) -> str:
    names = list(dict.fromkeys(r.vendor for r in computed.rows if r.vendor)) or computed.vendors
    if not computed.vendors or not names:
        return ""
    shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
    return f" của {shown}" if language == "vi" else f" from {shown}"


def _sums(computed: Computed, language: str, noun: Callable[[int], str]) -> tuple[list[str], int]:
    """Each currency's sum as said (with how many documents, when there are several
    currencies), and how many documents had no total."""
    priced = [(t, t.amount) for t in computed.totals if t.amount is not None]
    parts = [
        _amount(amount, t.currency, language)
        + (f" ({t.with_total} {noun(t.with_total)})" if len(priced) > 1 else "")
        for t, amount in priced
    ]
    return parts, sum(t.documents - t.with_total for t in computed.totals)


def _en(computed: Computed) -> str:
    one, many = _KINDS_EN.get(_kind_key(computed), _KINDS_EN[None])
    where = _period_en(computed.period) + _vendors(computed, "en")
    count = computed.documents
    if computed.operation == "field":
        row = computed.rows[0]
        return f"{computed.field_name} of {row.filename}: {computed.field_value}."
    if count == 0:
        return f"No {many}{where} were found among your documents."
    noun = one if count == 1 else many
    if computed.operation == "count":
        return f"You have {count} {noun}{where}."
    parts, missing = _sums(computed, "en", lambda n: one if n == 1 else many)
    if not parts:
        return f"{count} {noun}{where} were found, but none had a total that could be read."
    tail = f" {missing} had no total that could be read." if missing else ""
    return f"The totals of {count} {noun}{where} add up to {' and '.join(parts)}.{tail}"


def _vi(computed: Computed) -> str:
    kind = _KINDS_VI.get(_kind_key(computed), _KINDS_VI[None])
    where = _period_vi(computed.period) + _vendors(computed, "vi")
    count = computed.documents
    if computed.operation == "field":
        row = computed.rows[0]
        return f"{computed.field_name} của {row.filename}: {computed.field_value}."
    if count == 0:
        return f"Không tìm thấy {kind} nào{where} trong tài liệu của bạn."
    if computed.operation == "count":
        return f"Có {count} {kind}{where}."
    parts, missing = _sums(computed, "vi", lambda n: kind)
    if not parts:
        return f"Tìm thấy {count} {kind}{where} nhưng không đọc được tổng tiền của cái nào."
    tail = f" {missing} tài liệu không đọc được tổng tiền." if missing else ""
    return f"Tổng tiền của {count} {kind}{where} là {' và '.join(parts)}.{tail}"


def computed_text(computed: Computed, language: str) -> str:
    """The direct answer, in Vietnamese for ``vi`` and in English otherwise."""
    return _vi(computed) if answer_language(language) == "vi" else _en(computed)


NO_MODEL = {
    "en": "No language model is configured (UNTXT_LLM_URL), and the extracted fields do not "
    "answer this question directly; these are the passages that match it best.",
    "vi": "Chưa cấu hình mô hình ngôn ngữ (UNTXT_LLM_URL), và các trường đã trích xuất không "
    "trả lời trực tiếp câu hỏi này; đây là những đoạn phù hợp nhất.",
}
NOTHING = {
    "en": "Nothing in your documents matches this question.",
    "vi": "Không có tài liệu nào của bạn khớp với câu hỏi này.",
}
