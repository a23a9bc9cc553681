"""Fields receipts and invoices share: dates, times, numbers, money by label, currency.

Each finder returns a grounded :class:`FieldValue` or ``None``; none guesses a value
the document does not print.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from untxt.extract import labels
from untxt.extract.amounts import Amount, currency_code, decimal_mark, find_amounts
from untxt.extract.dates import FoundDate, date_order, find_dates, find_times
from untxt.extract.model import FieldValue
from untxt.extract.view import DocumentView, ViewLine, grounded

_NUMBER_VALUE = re.compile(r"[a-z0-9][\w\-/#.]*\d[\w\-/]*|\d[\w\-/]*", re.IGNORECASE)
_CURRENCY_WORD = re.compile(
    r"(?<![a-z])(rm|usd|eur|gbp|sgd|myr|vnd|vnđ|jpy|aud|cad|chf|inr|thb|idr|php|hkd)(?![a-z])"
    r"|[$€£¥₫]"
)


@dataclass(frozen=True)
class Money:
    """An amount found beside a label."""

    line: ViewLine
    amount: Amount
    score: float


class Reader:
    """One document's view with what its finders share: decimal mark and date order."""

    def __init__(self, view: DocumentView) -> None:
        self.view = view
        self.mark = decimal_mark(view.text, view.languages)
        self.currency = self._currency_code()
        self.order = date_order(view.folded, us=self.currency == "USD")

    def _currency_code(self) -> str | None:
        codes: Counter[str] = Counter()
        for line in self.view.lines:
            for amount in find_amounts(line.text, self.mark):
                if amount.currency:
                    codes[amount.currency] += 1
            for match in _CURRENCY_WORD.finditer(line.folded):
                code = currency_code(line.text[match.start() : match.end()])
                if code:
                    codes[code] += 1
        if not codes:
            return None
        # "$" alone says dollars of some country; a named code elsewhere says which.
        named = [code for code, _ in codes.most_common() if code != "USD"]
        if "USD" in codes and named and codes[named[0]] >= 1:
            return named[0]
        return codes.most_common(1)[0][0]

    # Money ---------------------------------------------------------------------------

    def amounts_after(self, line: ViewLine, start: int) -> list[Amount]:
        """Marked amounts on ``line`` after character ``start``; failing those, the
        amounts of a line set level with it to the right (a column the engine split)."""
        found = [a for a in find_amounts(line.text, self.mark) if a.start >= start and a.marked]
        if found:
            return found
        beside = self._beside(line)
        if beside is None:
            return []
        return [a for a in find_amounts(beside.text, self.mark) if a.marked]

    def _beside(self, line: ViewLine) -> ViewLine | None:
        best = None
        for other in self.view.lines:
            if other.page != line.page or other is line or other.bbox.x0 < line.bbox.x1:
                continue
            top = max(line.bbox.y0, other.bbox.y0)
            bottom = min(line.bbox.y1, other.bbox.y1)
            overlap = (bottom - top) / max(
                1, min(line.bbox.y1 - line.bbox.y0, other.bbox.y1 - other.bbox.y0)
            )
            if overlap > 0.5 and (best is None or other.bbox.x0 < best.bbox.x0):
                best = other
        return best

    def labelled_money(
        self,
        label: re.Pattern[str],
        *,
        exclude: re.Pattern[str] | None = None,
        score: float = 1.0,
    ) -> Iterator[Money]:
        """The last amount after each ``label``, unless ``exclude`` matches within the
        label or between it and the amount (``Sub Total``, ``Total excl. VAT``)."""
        for line in self.view.lines:
            for match in label.finditer(line.folded):
                amounts = self.amounts_after(line, match.end())
                if not amounts:
                    break
                amount = amounts[-1]
                on_line = amount in find_amounts(line.text, self.mark)
                stop = amount.start if on_line else len(line.folded)
                if exclude is not None and any(
                    other.start() < stop and other.end() > match.start()
                    for other in exclude.finditer(line.folded)
                ):
                    continue  # this label is another's ("Sub Total"); a later one may not be
                owner = line if on_line else self._beside(line)
                yield Money(owner or line, amount, score)
                break

    def money_field(self, found: Money, source: str, certainty: float) -> FieldValue:
        amount = found.amount
        return grounded(
            [found.line.span(amount.start, amount.end)],
            kind="amount",
            value=float(amount.value),
            source=source,
            certainty=certainty,
        )

    # Dates, times, numbers -----------------------------------------------------------

    def date(
        self, label: re.Pattern[str] = labels.DATE_LABEL, source: str = "date"
    ) -> FieldValue | None:
        """The labelled date, or failing one, the first date printed."""
        first = None
        for line in self.view.lines:
            labelled = list(label.finditer(line.folded))
            dates = find_dates(line.folded, self.order)
            for found in dates:
                # A label just before the date, or one the date begins with ("Ngày 05 ...").
                if any(m.start() <= found.start <= m.end() + 4 for m in labelled):
                    return self._date_field(line, found, f"rule:labelled-{source}", 0.95)
            for match in labelled:
                under = self._date_under(line, match)
                if under is not None:
                    return self._date_field(*under, f"rule:labelled-{source}", 0.9)
            if dates and first is None:
                first = (line, dates[0])
        if first is None:
            return None
        return self._date_field(*first, f"rule:first-{source}", 0.8)

    def _date_under(
        self, line: ViewLine, label: re.Match[str]
    ) -> tuple[ViewLine, FoundDate] | None:
        """A date printed right under a label standing alone (a row of headings)."""
        rest = line.folded[label.end() :]
        if find_dates(rest, self.order) or re.search(r"\d", rest[:6]):
            return None
        box = line.box_of(*label.span())
        if box is None:
            return None
        for other in self.view.lines[line.number + 1 : line.number + 3]:
            if other.page != line.page or other.bbox.y0 - line.bbox.y1 > 2 * line.height:
                return None
            best, shared = None, 0
            for found in find_dates(other.folded, self.order):
                date_box = other.box_of(found.start, found.end)
                if date_box is None:
                    continue
                overlap = min(date_box.x1, box.x1) - max(date_box.x0, box.x0)
                if overlap > shared:
                    best, shared = found, overlap
            if best is not None:
                return other, best
        return None

    def _date_field(
        self, line: ViewLine, found: FoundDate, source: str, certainty: float
    ) -> FieldValue:
        if found.ambiguous:
            certainty *= 0.85
        return grounded(
            [line.span(found.start, found.end)],
            kind="date",
            value=found.value.isoformat(),
            source=source,
            certainty=certainty,
        )

    def time(self, near: FieldValue | None) -> FieldValue | None:
        """The time on the line of ``near`` (a date), or failing it, the first time printed."""
        candidates = []
        for line in self.view.lines:
            for found in find_times(line.folded):
                same = near is not None and any(w.id in near.words for w in line.words)
                candidates.append((not same, line.number, line, found))
        if not candidates:
            return None
        _, _, line, found = min(candidates, key=lambda c: (c[0], c[1]))
        return grounded(
            [line.span(found.start, found.end)],
            kind="time",
            value=found.value.isoformat(),
            source="rule:time",
            certainty=0.85,
        )

    def labelled_number(self, label: re.Pattern[str], source: str) -> FieldValue | None:
        """The code printed after ``label`` (a receipt or invoice number)."""
        for line in self.view.lines:
            for match in label.finditer(line.folded):
                value = _NUMBER_VALUE.search(line.text, match.end())
                if value is None or value.start() - match.end() > 3:
                    continue
                if find_dates(line.folded[value.start() : value.end()], self.order):
                    continue
                text = value.group(0).rstrip(".,:")
                return grounded(
                    [line.span(value.start(), value.start() + len(text))],
                    kind="string",
                    value=text,
                    source=source,
                    certainty=0.85,
                )
        return None

    def currency_field(self) -> FieldValue | None:
        """The currency the amounts are in, where the document prints one."""
        if self.currency is None:
            return None
        for line in self.view.lines:
            for amount in find_amounts(line.text, self.mark):
                if amount.currency == self.currency:
                    mark = _mark_in(line, amount)
                    if mark is not None:
                        return grounded(
                            [line.span(*mark)],
                            kind="currency",
                            value=self.currency,
                            source="rule:currency",
                            certainty=0.7 if line.text[mark[0] : mark[1]] == "$" else 0.9,
                        )
            for match in _CURRENCY_WORD.finditer(line.folded):
                if currency_code(line.text[match.start() : match.end()]) == self.currency:
                    return grounded(
                        [line.span(*match.span())],
                        kind="currency",
                        value=self.currency,
                        source="rule:currency",
                        certainty=0.7 if match.group(0) == "$" else 0.9,
                    )
        return None

    def payment_method(self, after_line: int = 0) -> FieldValue | None:
        """How it was paid: cash, card, transfer or e-wallet, named after the totals."""
        for line in self.view.lines[after_line:]:
            for method, pattern in labels.PAYMENT.items():
                match = pattern.search(line.folded)
                if match:
                    return grounded(
                        [line.span(*match.span())],
                        kind="string",
                        value=method,
                        source="rule:payment",
                        certainty=0.8,
                    )
        return None


def _mark_in(line: ViewLine, amount: Amount) -> tuple[int, int] | None:
    """Where the currency mark of ``amount`` is printed on ``line``."""
    window_start = max(0, amount.start - 5)
    text = line.folded[window_start : amount.end + 5]
    match = _CURRENCY_WORD.search(text)
    if match is None:
        return None
    return window_start + match.start(), window_start + match.end()


def close(a: Decimal | float, b: Decimal | float, relative: float = 0.0) -> bool:
    """Two amounts equal to the cent, or within ``relative`` of the larger."""
    x, y = float(a), float(b)
    return abs(x - y) <= max(0.011, relative * max(abs(x), abs(y)))
