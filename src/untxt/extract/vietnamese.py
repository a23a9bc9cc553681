"""Vietnamese VAT invoices (hóa đơn giá trị gia tăng): the readers of their own labels.

A hóa đơn GTGT prints its form and serial (``Mẫu số``, ``Ký hiệu``), its number
(``Số``), the date as ``Ngày 05 tháng 10 năm 2025``, the seller (``Đơn vị bán
hàng``) and buyer (``Tên đơn vị``, ``Họ tên người mua hàng``) each with ``Mã số
thuế`` and ``Địa chỉ``, totals as ``Cộng tiền hàng``, ``Thuế suất GTGT``, ``Tiền
thuế GTGT``, ``Tổng tiền thanh toán``, and the total in words. Labels are matched
without their diacritics (OCR drops some) and with or without the English gloss
that many print beside them (``Mã số thuế (Tax code):``).
"""

from __future__ import annotations

import re

from untxt.extract.model import FieldValue
from untxt.extract.parties import after_label, continued, matching, text_field
from untxt.extract.view import DocumentView, Span, grounded


def _label(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + pattern + r")(?![a-z])")


MARKERS = _label(r"hoa\s*don|gia\s*tri\s*gia\s*tang|gtgt|ma\s*so\s*thue|mau\s*so|ky\s*hieu")
SERIAL = _label(r"ky\s*hieu")
FORM = _label(r"mau\s*so")
# "Số:", not the "số" of "Mẫu số", "Mã số thuế" or "Số tài khoản".
NUMBER = re.compile(
    r"(?<!ma\s)(?<!mau\s)(?<![a-z])so(?:\s*hoa\s*don)?(?=\s*(?:\([^)]{0,15}\)\s*)?:)"
)
SELLER = _label(r"don\s*vi\s*ban(?:\s*hang)?|nguoi\s*ban(?:\s*hang)?|ten\s*nguoi\s*ban|ben\s*ban")
BUYER_COMPANY = _label(r"ten\s*don\s*vi(?!\s*ban)|don\s*vi\s*mua(?:\s*hang)?")
BUYER_PERSON = _label(
    r"ho\s*(?:va\s*)?ten\s*nguoi\s*mua(?:\s*hang)?|ten\s*nguoi\s*mua(?:\s*hang)?|"
    r"nguoi\s*mua(?:\s*hang)?"
)
TAX_CODE = _label(r"ma\s*so\s*thue|mst")
ADDRESS = _label(r"dia\s*chi")
RATE = _label(r"thue\s*suat(?:\s*gtgt)?")
IN_WORDS = _label(r"(?:so\s*tien\s*)?(?:viet\s*)?bang\s*chu")
PAYMENT = _label(r"hinh\s*thuc\s*thanh\s*toan")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9/\-]{0,15}", re.IGNORECASE)
_DIGITS = re.compile(r"\d[\d\s-]{8,16}\d")
_PERCENT = re.compile(r"\d{1,2}(?:[.,]\d+)?\s?%")
_DONG = re.compile(r"(?<![a-z])dong\W*$")


def is_vietnamese(view: DocumentView) -> bool:
    """Whether the document reads as a Vietnamese invoice."""
    return len(MARKERS.findall(view.folded)) >= 2


def _buyer_line(view: DocumentView) -> int:
    """The first line of the buyer's block: seller's fields come before it."""
    for line in view.lines:
        if BUYER_COMPANY.search(line.folded) or BUYER_PERSON.search(line.folded):
            return line.number
    return len(view.lines)


def _code_after(view: DocumentView, label: re.Pattern[str], source: str) -> FieldValue | None:
    span = after_label(view, label, accept=matching(_CODE, digit=True))
    if span is None:
        return None
    return grounded([span], kind="string", value=span.text, source=source, certainty=0.9)


def _tax_code(view: DocumentView, start: int, stop: int | None) -> FieldValue | None:
    span = after_label(view, TAX_CODE, start=start, stop=stop, accept=matching(_DIGITS))
    if span is None:
        return None
    value = re.sub(r"\s", "", span.text)
    return grounded([span], kind="string", value=value, source="rule:vi-mst", certainty=0.9)


def _wrapped(view: DocumentView, label: re.Pattern[str], **where: int | None) -> list[Span] | None:
    """A labelled value and the lines that carry it on."""
    span = after_label(view, label, **where)  # type: ignore[arg-type]
    return continued(view, span) if span is not None else None


def _currency(view: DocumentView, words: FieldValue | None) -> FieldValue | None:
    """VND where the total in words ends in "đồng"."""
    if words is None or not words.words:
        return None
    for line in view.lines:
        if not any(w.id == words.words[-1] for w in line.words):
            continue
        match = _DONG.search(line.folded)
        if match is not None:
            return grounded(
                [line.span(*match.span())],
                kind="currency",
                value="VND",
                source="rule:vi-in-words",
                certainty=0.85,
            )
    return None


def read_vietnamese(view: DocumentView) -> dict[str, FieldValue]:
    """The fields a hóa đơn GTGT prints under its own labels."""
    buyer = _buyer_line(view)
    in_words = text_field(_wrapped(view, IN_WORDS), "rule:vi-in-words")
    fields: dict[str, FieldValue | None] = {
        "InvoiceSeries": _code_after(view, SERIAL, "rule:vi-ky-hieu")
        or _code_after(view, FORM, "rule:vi-mau-so"),
        "InvoiceId": _code_after(view, NUMBER, "rule:vi-so"),
        "VendorName": text_field(_wrapped(view, SELLER, stop=buyer), "rule:vi-seller"),
        "VendorTaxId": _tax_code(view, 0, buyer),
        "VendorAddress": text_field(_wrapped(view, ADDRESS, stop=buyer), "rule:vi-address"),
        "CustomerName": text_field(_wrapped(view, BUYER_COMPANY), "rule:vi-buyer")
        or text_field(_wrapped(view, BUYER_PERSON), "rule:vi-buyer"),
        "CustomerTaxId": _tax_code(view, buyer, None),
        "CustomerAddress": text_field(_wrapped(view, ADDRESS, start=buyer), "rule:vi-address"),
        "AmountInWords": in_words,
        "PaymentTerms": text_field(after_label(view, PAYMENT), "rule:vi-payment"),
        "Currency": _currency(view, in_words),
    }
    rate = after_label(view, RATE, accept=matching(_PERCENT))
    if rate is not None:
        fields["TaxRate"] = grounded(
            [rate],
            kind="rate",
            value=rate.text.replace(" ", ""),
            source="rule:vi-rate",
            certainty=0.85,
        )
    return {name: value for name, value in fields.items() if value is not None}
