"""Evidence for each document type: the words each kind prints, and a receipt's shape.

A word counts once however often it is printed; the weights say how much more
often the word appears on one kind than on the others. Utility bills are invoices
too, so they need words of their own trade (kWh, m³, data, cước) to win.
"""

from __future__ import annotations

import re

from untxt.extract.view import DocumentView


def _w(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + pattern + r")(?![a-z])")


KEYWORDS: dict[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    "receipt": (
        (_w(r"receipt|resit|bien\s*lai|kassenbon|quittung|ticket\s*de\s*caisse"), 0.8),
        (_w(r"cashier|cashler|kasir|thu\s*ngan|kassierer"), 0.6),
        (_w(r"change(?:\s*due)?|tien\s*thua|ruckgeld"), 0.5),
        (_w(r"cash|tunai|tien\s*mat|bar"), 0.3),
        (_w(r"tender(?:ed)?"), 0.5),
        (_w(r"thank\s*you|cam\s*on|danke|merci"), 0.4),
        (_w(r"come\s*again|see\s*you"), 0.5),
        (_w(r"rounding|round\s*adj"), 0.4),
        (_w(r"table|pax|server|guest\s*check|take\s*away|dine\s*in"), 0.4),
        (_w(r"simplified\s*tax\s*invoice|cash\s*bill|cash\s*sales?"), 0.6),
        (_w(r"pos|terminal|till"), 0.2),
        (_w(r"item\(?s\)?|qty"), 0.2),
        (_w(r"non[\s-]*refundable|not\s*(?:returnable|refundable)|exchange"), 0.4),
    ),
    "invoice": (
        # Shops in GST countries print "TAX INVOICE" on receipts: the word alone says little.
        (_w(r"invoice|invo?ice|rechnung|facture|factura|fattura"), 0.4),
        (_w(r"bill\s*to|sold\s*to|ship\s*to|invoice\s*to|billed\s*to"), 0.8),
        (_w(r"due\s*date|payment\s*due|date\s*due|falligkeit|echeance"), 0.8),
        (_w(r"payment\s*terms|terms|net\s*\d{1,2}\b|zahlungsbedingungen"), 0.5),
        (_w(r"invoice\s*(?:no|number|#|date)|rechnungs(?:nummer|datum)"), 0.4),
        (_w(r"purchase\s*order|p\.?o\.?\s*(?:no|number|#)"), 0.5),
        (_w(r"iban|swift|bic|account\s*(?:no|number)|bank\s*details|remit"), 0.5),
        (_w(r"hoa\s*don|gia\s*tri\s*gia\s*tang|gtgt"), 0.9),
        (_w(r"mau\s*so|ky\s*hieu|ma\s*so\s*thue"), 0.6),
        (_w(r"nguoi\s*mua|nguoi\s*ban|don\s*vi\s*ban|ben\s*mua"), 0.6),
        (_w(r"customer|client|kunde"), 0.2),
    ),
    "utility_bill": (
        (
            _w(
                r"billing\s*period|service\s*period|ky\s*(?:thanh\s*toan|hoa\s*don)|abrechnungszeitraum"
            ),
            0.6,
        ),
        (_w(r"account\s*(?:no|number)|customer\s*(?:no|number|id)|ma\s*khach\s*hang"), 0.4),
        (_w(r"meter|chi\s*so|cong\s*to|zahler"), 0.6),
        (_w(r"previous\s*balance|amount\s*due|balance\s*due"), 0.3),
        (_w(r"usage|consumption|tieu\s*thu|verbrauch"), 0.5),
    ),
}
#: Words of each utility; a utility bill needs at least one of its own.
UTILITIES: dict[str, re.Pattern[str]] = {
    "electricity": _w(r"electric\w*|kwh|kw\s*h|tien\s*dien|dien\s*(?:nang|sinh\s*hoat)|strom"),
    "water": _w(r"water|m3|m³|tien\s*nuoc|nuoc\s*sach|wasser|cubic\s*met\w*"),
    "telecom": _w(
        r"mobile|broadband|internet|data\s*usage|roaming|sms|minutes|telecom\w*|"
        r"vien\s*thong|di\s*dong|cuoc\s*(?:goi|thue\s*bao)|mobilfunk"
    ),
}


def keyword_score(view: DocumentView, kind: str) -> float:
    """How strongly the words (and, for receipts, the shape) say ``kind``."""
    text = view.folded
    score = sum(weight for pattern, weight in KEYWORDS[kind] if pattern.search(text))
    if kind == "receipt" and view.document.pages:
        page = view.document.pages[0]
        # A till roll is much taller than wide.
        if page.height / max(1, page.width) > 1.8:
            score += 0.4
    if kind == "utility_bill":
        # "Water" on a receipt is a bottle bought: a bill also prints how it is billed,
        # or names its utility again and again.
        own = utility_kind(view)
        mentions = len(UTILITIES[own].findall(text)) if own else 0
        if own is None or (score == 0 and mentions < 3):
            return 0.0
        score += 0.4 * min(mentions, 3)
        score += 0.5 * sum(w for p, w in KEYWORDS["invoice"] if p.search(text))
    return round(score, 3)


def utility_kind(view: DocumentView) -> str | None:
    """Electricity, water or telecom: the utility whose words the document prints most."""
    counts = {name: len(p.findall(view.folded)) for name, p in UTILITIES.items()}
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else None
