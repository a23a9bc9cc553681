"""The money at the foot of a receipt or invoice: subtotal, tax, tip, total.

The total is the amount of the strongest total label (``Grand Total``, ``Total
incl. GST``, ``Tổng tiền thanh toán`` over a plain ``Total``), the largest of
equals; a rounding line just after it that moves it by a few cents gives the
total paid. The figures are then checked against each other: a total equal to
subtotal + tax (+ tip), or to the subtotal where prices include tax, gains
confidence; one that is neither keeps its value, loses confidence and is named
in ``warnings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from untxt.extract import labels
from untxt.extract.common import Money, Reader, close
from untxt.extract.model import FieldValue

_ROUNDING = re.compile(r"(?<![a-z])round\w*")
# Charges a total adds to subtotal and tax that are no field of their own.
_CHARGES = re.compile(
    r"(?<![a-z])(?:service\s*(?:charge|chg|chrg)|svr?\s*chr?g|svc\s*(?:charge|chg)|"
    r"delivery\s*(?:fee|charge)|shipping|freight)(?![a-z])"
)
# How far a rounded total may lie from the total it rounds.
_ROUNDING_SPAN = 0.1
_CASH_ROUNDING = Decimal("0.02")


@dataclass
class Totals:
    """The money fields found, the line of the total, and what did not add up."""

    total: FieldValue | None = None
    subtotal: FieldValue | None = None
    tax: FieldValue | None = None
    tip: FieldValue | None = None
    total_line: int | None = None
    warnings: list[str] = field(default_factory=list)


def _best_total(reader: Reader) -> tuple[Money, str, float] | None:
    candidates = [
        *reader.labelled_money(labels.GRAND_TOTAL, score=3),
        *reader.labelled_money(labels.TOTAL, exclude=labels.NOT_TOTAL, score=2),
        # "Balance due" is what remains after payments: the total only failing any other.
        *reader.labelled_money(labels.AMOUNT_DUE, score=1),
    ]
    candidates = [c for c in candidates if c.amount.value > 0]
    if candidates:
        top = max(c.score for c in candidates)
        best = max((c for c in candidates if c.score == top), key=lambda c: c.amount.value)
        return best, "rule:total-label", {3: 0.9, 2: 0.8}.get(int(top), 0.7)
    subtotals = [c for c in reader.labelled_money(labels.SUBTOTAL) if c.amount.value > 0]
    if subtotals:
        return subtotals[-1], "rule:subtotal-as-total", 0.5
    return None


def _rounded(reader: Reader, total: Money) -> Money | None:
    """A rounding line right after the total that gives the amount paid."""
    lines = reader.view.lines
    for line in lines[total.line.number + 1 : total.line.number + 4]:
        match = _ROUNDING.search(line.folded)
        if not match:
            continue
        for amount in reader.amounts_after(line, match.end()):
            moved = abs(float(amount.value - total.amount.value))
            if 0 < moved <= _ROUNDING_SPAN and amount.value > 0:
                return Money(line, amount, total.score)
    return None


def read_totals(
    reader: Reader,
    *,
    names: tuple[str, str, str, str],
    items_sum: Decimal | None = None,
) -> Totals:
    """Total, subtotal, tax and tip, checked against each other and the items' sum.

    ``names`` are what the type calls them (``Total``, ``Subtotal``, ``TotalTax``,
    ``Tip`` for a receipt), for the warnings.
    """
    total_name, subtotal_name, tax_name, _ = names
    out = Totals()
    best = _best_total(reader)
    total_value: Decimal | None = None
    if best is not None:
        money, source, certainty = best
        rounded = _rounded(reader, money)
        if rounded is not None:
            money, source = rounded, "rule:rounded-total"
        out.total_line = money.line.number
        total_value = money.amount.value
        out.total = reader.money_field(money, source, certainty)
    limit = out.total_line if out.total_line is not None else len(reader.view.lines)
    subtotals = [
        m
        for m in reader.labelled_money(labels.SUBTOTAL)
        if m.line.number <= limit and (total_value is None or m.amount.value <= total_value)
    ]
    if subtotals:
        out.subtotal = reader.money_field(subtotals[0], "rule:subtotal-label", 0.85)
    taxes = [
        m
        for m in reader.labelled_money(labels.TAX, exclude=labels.NOT_TAX)
        if m.amount.value >= 0 and (total_value is None or m.amount.value < total_value)
    ]
    if taxes:
        out.tax = reader.money_field(taxes[0], "rule:tax-label", 0.8)
    tips = list(reader.labelled_money(labels.TIP))
    if tips:
        out.tip = reader.money_field(tips[0], "rule:tip-label", 0.8)
    charges = sum(
        (m.amount.value for m in reader.labelled_money(_CHARGES) if m.line.number <= limit),
        Decimal(0),
    )
    _check(out, total_name, subtotal_name, tax_name, items_sum, charges)
    return out


def _check(
    out: Totals,
    total_name: str,
    subtotal_name: str,
    tax_name: str,
    items_sum: Decimal | None,
    charges: Decimal,
) -> None:
    if out.total is None:
        return
    total = Decimal(str(out.total.value))
    agreed = False
    if out.subtotal is not None:
        subtotal = Decimal(str(out.subtotal.value))
        tax = Decimal(str(out.tax.value)) if out.tax is not None else Decimal(0)
        tip = Decimal(str(out.tip.value)) if out.tip is not None else Decimal(0)
        tip += charges
        # Rounding to the nearest 5 cents (as in Malaysia) moves a total by up to 2 cents.
        if abs(subtotal + tax + tip - total) <= _CASH_ROUNDING:
            agreed = True
        elif close(subtotal + tip, total):
            agreed = True  # prices include the tax
        else:
            out.warnings.append(
                f"{total_name} {out.total.content} is not {subtotal_name} {out.subtotal.content}"
                + (f" + {tax_name} {out.tax.content}" if out.tax is not None else "")
                + f" ({subtotal + tax + tip})"
            )
            out.total = _scaled(out.total, 0.8)
    if (
        items_sum is not None
        and items_sum > 0
        and (
            close(items_sum, total)
            or (out.subtotal is not None and close(items_sum, Decimal(str(out.subtotal.value))))
        )
    ):
        agreed = True
    if agreed:
        out.total = _scaled(out.total, 1.1)


def _scaled(value: FieldValue, factor: float) -> FieldValue:
    return value.model_copy(update={"confidence": round(min(0.99, value.confidence * factor), 3)})
