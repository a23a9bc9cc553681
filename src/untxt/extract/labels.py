"""The words documents label their fields with, as patterns over folded text.

Folded text is lower case without accents (``tổng tiền`` reads ``tong tien``), so
one pattern covers a label printed in any case, with or without its diacritics.
Each list names the languages it covers; a word here is a label a kind of
document prints, never the name or address of any one business.
"""

from __future__ import annotations

import re


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z])")


# English, Malay, Vietnamese, German, French, Spanish.
GRAND_TOTAL = _words(
    r"grand\s*total",
    r"total\s*(?:amount\s*|amt\.?\s*)?(?:payable|due|to\s*pay)",
    r"(?:amount|amt\.?)\s*(?:payable|to\s*pay)",
    r"net+\s*total",
    r"total\s*net+",
    r"total\s*(?:amt\.?\s*)?rounded",
    r"rounded\s*total",
    r"round(?:ing)?\s*d?\s*total",
    r"final\s*total",
    r"total\s*(?:sales\s*|amt\.?\s*|amount\s*)?\(?\s*(?:incl|inc\.|inclusive|including|with)",
    r"total\s*\(\s*(?:gst|vat|tax)\s*incl",
    r"tong\s*(?:so\s*)?tien\s*(?:thanh\s*toan|phai\s*tra|can\s*thanh\s*toan)",
    r"tong\s*cong(?:\s*tien\s*thanh\s*toan)?",
    r"tong\s*thanh\s*toan",
    r"gesamtbetrag",
    r"gesamtsumme",
    r"endbetrag",
    r"montant\s*total",
    r"total\s*ttc",
    r"net\s*a\s*payer",
    r"importe\s*total",
)
TOTAL = _words(r"t[o0]ta[l1i]", r"totl", r"tota", r"total\w*", r"summe")
NOT_TOTAL = _words(
    r"sub[\s.\-]*t[o0]ta\w*",
    r"total\s*(?:qty|quantity|item|items|no\.?\s*of|discount|savings?|gst|tax|vat|excl|before|"
    r"weight|units?|pcs|points?|tip|count|tender|service|round(?:ing)?\s*adj)",
    r"total\s*\d+(?:[.,]\d+)?\s*%",
    r"excl\w*",
    r"exc\.",
    r"before\s*(?:tax|gst|vat)",
    r"(?:change|balance)\s*(?:due)?",
    r"cash",
    r"tender\w*",
    r"savings?",
    r"discount",
    r"rounding\s*adj\w*",
    r"round\s*adj",
    r"points",
    r"cong\s*tien\s*hang",
    r"tien\s*thue",
)
#: What remains to pay: the total when nothing else is labelled so.
AMOUNT_DUE = _words(
    r"amount\s*due",
    r"balance\s*due",
    r"total\s*due",
    r"amount\s*payable",
    r"so\s*tien\s*phai\s*tra",
    r"zahlbetrag",
    r"montant\s*du",
)
SUBTOTAL = _words(
    r"sub[\s.\-]*t[o0]ta\w*",
    r"total\s*\(?\s*excl\w*",
    r"total\s*sales\s*\(?\s*excl\w*",
    r"\(?excluded\s*(?:gst|tax|vat)\)?\s*sub\s*total",
    r"amount\s*before\s*(?:tax|gst|vat)",
    r"net\s*amount",
    r"cong\s*tien\s*hang",
    r"tien\s*hang",
    r"thanh\s*tien\s*truoc\s*thue",
    r"zwischensumme",
    r"nettobetrag",
    r"sous[\s-]*total",
    r"total\s*ht",
    r"base\s*imponible",
)
TAX = _words(
    r"(?:total\s*)?(?:gst|vat|tax|sst|hst|pst|mwst|ust|tva|iva)(?:\s*amount)?",
    r"(?:tien|so\s*tien)\s*thue(?:\s*gtgt)?",
    r"thue\s*gtgt",
    r"sales\s*tax",
)
NOT_TAX = _words(
    r"(?:gst|vat|tax|sst)\s*(?:id|no|reg\w*|ref|number|summary|code|invoice|inclusive|incl\w*|"
    r"exclusive|excl\w*|included|rate|#|registration)",
    r"tax\s*invoice",
    r"(?:incl\w*|inclusive\s*of|including|excl\w*|excluding|after|before|with)\.?\s*(?:of\s*)?"
    r"(?:gst|vat|tax)",
    r"thue\s*suat",
    r"ma\s*so\s*thue",
    r"mst",
)
TAX_RATE = _words(r"thue\s*suat(?:\s*gtgt)?", r"vat\s*rate", r"tax\s*rate", r"gst\s*rate")
TIP = _words(r"tip", r"tips", r"gratuity", r"trinkgeld", r"pourboire", r"propina")
PAYMENT = {
    "Cash": _words(r"cash", r"tunai", r"tien\s*mat", r"bar(?:geld)?", r"especes", r"efectivo"),
    "Card": _words(
        r"visa",
        r"master\s*card",
        r"mastercard",
        r"amex",
        r"american\s*express",
        r"debit\s*card",
        r"credit\s*card",
        r"card\s*type",
        r"card\s*no",
        r"ec[\s-]*karte",
        r"carte\s*bancaire",
        r"the\s*tin\s*dung",
    ),
    "Transfer": _words(r"bank\s*transfer", r"chuyen\s*khoan", r"wire\s*transfer", r"uberweisung"),
    "E-wallet": _words(r"e[\s-]*wallet", r"grab\s*pay", r"touch\s*n\s*go", r"boost", r"momo"),
}
#: Labels of a receipt's or invoice's own number.
NUMBER_LABEL = _words(
    r"(?:receipt|rcpt|invoice|invo?ice|inv|bill|doc(?:ument)?|slip|check|chk|trans(?:action)?|"
    r"order|ticket|cb|cash\s*inv|cs|so\s*hoa\s*don|rechnung(?:s)?|facture)\s*"
    r"(?:no|nr|num(?:ber)?|nunber|#|id)?\.?\s*[#:.]",
    r"(?:receipt|rcpt|invoice|inv|bill|doc|slip)\s*(?:no|nr|num(?:ber)?|nunber)\.?",
    r"(?:receipt|invoice|rcpt|inv|bill|check)\s*#",
    r"invoice\s*number",
)
DATE_LABEL = _words(
    r"date",
    r"dated",
    r"ngay",
    r"datum",
    r"fecha",
    r"tarikh",
    r"invoice\s*date",
    r"issue\s*date",
    r"date\s*of\s*issue",
)
TITLE = _words(
    r"(?:simplified\s*)?tax\s*invoice",
    r"invoice",
    r"receipt",
    r"official\s*receipt",
    r"cash\s*(?:bill|sales?|receipt)",
    r"bill",
    r"guest\s*check",
    r"hoa\s*don",
    r"phieu\s*thu",
    r"rechnung",
    r"facture",
    r"quittung",
    r"kassenbon",
)
_LEGAL_FORMS = (
    r"sdn\.?\s*bhd\.?",
    r"bhd\.?",
    r"[s5]/b",
    r"ltd\.?",
    r"limited",
    r"llc",
    r"l\.l\.c\.",
    r"llp",
    r"inc\.?",
    r"corp\.?",
    r"corporation",
    r"co\.?",
    r"company",
    r"gmbh",
    r"ag",
    r"kg",
    r"sarl",
    r"s\.?a\.?s\.?",
    r"s\.?a\.?",
    r"s\.?r\.?l\.?",
    r"pte\.?",
    r"plc",
    r"pty\.?",
    r"b\.?v\.?",
    r"n\.?v\.?",
    r"oy",
    r"ab",
    r"jsc",
    r"tnhh",
    r"cong\s*ty",
)
_BUSINESS_KINDS = (
    r"enterprise",
    r"enterprises",
    r"trading",
    r"restaurant",
    r"restoran",
    r"cafe",
    r"bakery",
    r"bakeries",
    r"hardware",
    r"mart",
    r"market",
    r"store",
    r"stores",
    r"shop",
    r"supermarket",
    r"pharmacy",
    r"kedai",
    r"station",
    r"hotel",
)
#: Legal forms, which end a business name.
LEGAL_FORM = _words(*_LEGAL_FORMS)
#: One or more legal forms and nothing else (``sdn bhd``, ``s/b``, ``co., ltd``).
LEGAL_FORMS_ONLY = re.compile(r"(?:(?:" + "|".join(_LEGAL_FORMS) + r")[\s,]*)+")
#: Legal forms and kinds of business (``HARDWARE``, ``MART``) that end a business name.
COMPANY_SUFFIX = _words(*_LEGAL_FORMS, *_BUSINESS_KINDS)
REGISTRATION = _words(
    r"co\.?\s*(?:-\s*)?reg\w*",
    r"co\.?\s*no",
    r"company\s*(?:no|reg\w*|number|id)",
    r"roc\s*no",
    r"reg\w*\.?\s*(?:no|#)",
    r"registration",
    r"business\s*reg\w*",
    r"brn",
    r"abn",
    r"acn",
    r"siret",
    r"siren",
    r"ust[\s-]*id\w*",
    r"steuer\w*",
    r"(?:gst|vat|sst|tax|tin)\s*(?:id|no|reg\w*|ref|number|#|code)",
    r"gst\s*:?\s*\d",
    r"id\s*gst",
    r"ein",
    r"tin",
    r"npwp",
    r"mst",
    r"ma\s*so\s*thue",
    r"tax\s*code",
)
CONTACT = _words(
    r"tel\w*",
    r"phone",
    r"ph",
    r"fax",
    r"mobile",
    r"hp",
    r"h/p",
    r"whats\s*app\w*",
    r"e-?mail",
    r"email",
    r"website",
    r"www",
    r"dien\s*thoai",
    r"dt",
    r"sdt",
)
PHONE_LABEL = _words(
    r"tel\w*", r"phone", r"ph", r"mobile", r"hp", r"h/p", r"dien\s*thoai", r"dt", r"sdt"
)
PHONE = re.compile(r"(?<![\w])(?:\+?\(?\d{1,4}\)?[\s.\-]?){1,4}\d{3,4}[\s.\-]?\d{3,5}(?![\w])")
TAX_ID_LABEL = _words(
    r"(?:gst|vat|sst|tax|tin)(?:\s*(?:id|reg\w*|ref)\.?)?(?:\s*(?:no|number|#|code)\.?)",
    r"(?:gst|vat|sst|tax|tin)\s*(?:id|reg\w*|ref)\.?",
    r"id\s*gst",
    r"no\.?\s*id\s*gst",
    r"gst",
    r"vat",
    r"mst",
    r"ma\s*so\s*thue",
    r"tax\s*code",
    r"ust[\s-]*id(?:nr)?\.?",
    r"n°\s*tva",
    r"abn",
    r"ein",
    r"npwp",
)
TAX_ID = re.compile(
    r"[a-z]{0,3}[\s\-]?\d[\d\s\-./]{5,20}\d(?:-[a-z0-9]{1,3}|[a-z]\d{2,3})?(?![a-z0-9])",
    re.IGNORECASE,
)
#: Words of addresses in the languages untxt reads receipts in; an address line holds one.
ADDRESS_WORD = _words(
    r"jalan",
    r"jln\.?",
    r"lorong",
    r"lrg",
    r"taman",
    r"tmn\.?",
    r"lot",
    r"no\.?",
    r"street",
    r"st\.",
    r"road",
    r"rd\.?",
    r"avenue",
    r"ave\.?",
    r"blvd",
    r"boulevard",
    r"lane",
    r"drive",
    r"floor",
    r"level",
    r"block",
    r"blk",
    r"suite",
    r"unit",
    r"building",
    r"bldg",
    r"plaza",
    r"mall",
    r"centre",
    r"center",
    r"kawasan",
    r"seksyen",
    r"section",
    r"bandar",
    r"kampung",
    r"kg\.?",
    r"persiaran",
    r"lebuh",
    r"lebuhraya",
    r"duong",
    r"pho",
    r"phuong",
    r"quan",
    r"huyen",
    r"tinh",
    r"thanh\s*pho",
    r"tp\.?",
    r"strasse",
    r"str\.",
    r"rue",
    r"via",
    r"calle",
    r"platz",
    r"weg",
    r"p\.?\s*o\.?\s*box",
)
ITEMS_HEADER_WORD = _words(
    r"qty",
    r"quantity",
    r"q1y",
    r"description",
    r"desc\.?",
    r"item",
    r"itern",
    r"items",
    r"price",
    r"u/?p",
    r"unit\s*price",
    r"amount",
    r"amt",
    r"total",
    r"rm",
    r"ten\s*hang(?:\s*hoa)?",
    r"don\s*gia",
    r"so\s*luong",
    r"thanh\s*tien",
    r"dvt",
    r"don\s*vi\s*tinh",
    r"stt",
    r"menge",
    r"preis",
    r"betrag",
    r"bezeichnung",
)
#: A body line of a receipt: who served, which till, which table.
TRANSACTION = re.compile(
    r"(?<![a-z0-9])(?:cashier|cashler|kasir|operator|salesperson|thu\s*ngan|kassierer|bill\s*to|"
    r"ship\s*to|sold\s*to)(?![a-z])"
    r"|(?<![a-z0-9])(?:station|counter|table|pax|till|pos|terminal|member|customer|server|kasse)"
    r"(?:\s*\(s\))?\s*(?:[:#]|no\b|\d)"
)
