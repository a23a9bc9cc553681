"""Invoice images with their true fields, for extraction tests and the field-accuracy benchmark.

Each invoice comes from a fixed seed, so the set is the same on every run. Fields carry the
Azure Document Intelligence invoice names and appear only where the page prints them.
Conventions of the ground truth: an address is its printed lines joined with single spaces;
other strings are as printed (tax numbers keep their hyphens) except IBAN, which loses its
spaces; dates are ISO strings, amounts floats. "Total Due" counts as both InvoiceTotal and
AmountDue; a separate "Amount Due" or "Balance Due" line is AmountDue, less "Amount Paid"
where one is printed.
"""

from __future__ import annotations

import io
import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta

from PIL import Image

from tests.extract import invoice_text as text
from tests.extract.invoice_layouts import (
    A4,
    LETTER,
    Column,
    Party,
    Sheet,
    downsampled,
    render,
    scanned,
)
from tests.extract.invoice_text import MONEY, date_text, share

Truth = tuple[Sheet, dict[str, object], list[dict[str, object]]]


@dataclass(frozen=True)
class InvoiceSample:
    """One invoice page, the OCR languages it needs and what an extractor should find on it."""

    name: str
    image: Image.Image
    languages: tuple[str, ...]
    fields: dict[str, object]
    items: list[dict[str, object]]


@dataclass(frozen=True)
class _Plan:
    layout: str
    currency: str
    dates: str
    # d discount, p part paid, x customer tax id, i IBAN, r colour, s scanned, l 150 DPI;
    # Vietnamese only: g English glosses, o the older form with "Mẫu số".
    flags: str = ""


_PLANS = [
    _Plan("classic", "USD", "us", "x"),
    _Plan("modern", "USD", "us_num", "r"),
    _Plan("compact", "USD", "iso", "s"),
    _Plan("coded", "USD", "us", "sl"),
    _Plan("classic", "USD", "us_num", "dp"),
    _Plan("modern", "USD", "us", "ds"),
    _Plan("classic", "EUR", "dot", "i"),
    _Plan("coded", "EUR", "dot", "ix"),
    _Plan("compact", "EUR", "iso", "ids"),
    _Plan("coded", "GBP", "dmy", "x"),
    _Plan("classic", "GBP", "slash", "is"),
    _Plan("modern", "GBP", "long", "rp"),
    _Plan("modern", "SGD", "slash", "d"),
    _Plan("compact", "SGD", "dmy", "l"),
    _Plan("coded", "MYR", "slash", "r"),
    _Plan("compact", "VND", "slash", "x"),
    *(_Plan("vat", "VND", "vi", flags) for flags in text.options("gr|o|gs||gos|r|gsl|o|g|gor")),
]
_TERMS = {
    "USD": [("Net 30", 30), ("Net 15", 15), ("Net 45", 45), ("Due on receipt", 0)],
    "other": [("30 days", 30), ("14 days", 14), ("Net 30", 30)],
}
_LINE_RATES = {"USD": [800, 800, 0], "GB": [2000, 2000, 500, 0], "DE": [1900, 1900, 700]}
_LINE_RATES |= {"NL": [2100, 2100, 900], "SGD": [900], "MYR": [800, 800, 0], "VND": [1000, 800]}
_TAX_NAMES = {"USD": "Tax", "SGD": "GST", "MYR": "SST"}
_COLUMNS = {
    "classic": ["Description", "Qty", "Unit Price", "Amount"],
    "modern": ["Item", "Qty", "Rate", "Amount"],
    "compact": ["Description", "Qty", "Unit", "Price", "Amount"],
    "coded": ["SKU", "Description", "Qty", "Unit", "Unit Price", "Tax %", "Amount"],
}


def _dates(rng: random.Random, style: str, days: int) -> tuple[date, date]:
    """An invoice date in 2025 and the date due, past the 12th where day and month could swap."""
    while True:
        issued = date(2025, 1, 2) + timedelta(days=rng.randint(0, 330))
        due = issued + timedelta(days=days)
        if style not in ("us_num", "slash", "dot") or min(issued.day, due.day) > 12:
            return issued, due


def _lines(
    plan: _Plan, rng: random.Random, country: str, initials: str
) -> tuple[list[list[str]], list[dict[str, object]], int, int]:
    """The item table's rows and truth, the sum of the amounts and, per line, of the tax."""
    cur, money = plan.currency, MONEY[plan.currency]
    coded = plan.layout == "coded"
    units = plan.layout in ("compact", "coded")
    symbols = plan.layout == "modern"
    rows: list[list[str]] = []
    items: list[dict[str, object]] = []
    subtotal = tax = 0
    for description, unit, low, high, hourly in rng.sample(text.CATALOG, rng.randint(3, 6)):
        step = 1000 if cur == "VND" else rng.choice([10, 100])
        scale = 25000 if cur == "VND" else 100
        price = max(rng.randint(low * scale, high * scale) // step * step // 2 * 2, 100)
        # Quantities are counted in halves so that an hour and a half stays exact.
        halves = (
            rng.choice([3, 4, 5, 8, 15, 16])
            if hourly
            else 2 * rng.randint(1, 24 if high < 30 else 5)
        )
        amount = halves * price // 2
        subtotal += amount
        item: dict[str, object] = {"Description": description, "Quantity": halves / 2}
        row = [description, f"{halves / 2:g}".replace(".", money.decimal)]
        if units:
            item["Unit"] = unit
            row.append(unit)
        item |= {"UnitPrice": money.value(price), "Amount": money.value(amount)}
        row += [money(price, symbols), money(amount, symbols)]
        if coded:
            code, rate = f"{initials}-{rng.randint(1000, 99999)}", rng.choice(_LINE_RATES[country])
            item |= {"ProductCode": code, "TaxRate": f"{rate // 100}%"}
            row = [code, *row[:-1], f"{rate // 100}%", row[-1]]
            tax += share(amount, rate)
        items.append(item)
        rows.append(row)
    return rows, items, subtotal, tax


def _english(plan: _Plan, rng: random.Random) -> Truth:
    cur, money = plan.currency, MONEY[plan.currency]
    country = {"EUR": rng.choice(["DE", "NL"]), "GBP": "GB"}.get(cur, cur)
    vendor = Party(text.company(rng, cur), text.address(rng, cur, country))
    customer = Party(text.company(rng, cur, vendor.name), text.address(rng, cur, country))
    vendor.extra.append(f"Tel: {text.phone(rng, cur, country)}")
    vendor.extra += [f"accounts@{vendor.name.split()[0].lower()}.example"] * (rng.random() < 0.5)
    fields: dict[str, object] = {"VendorName": vendor.name}
    fields["VendorAddress"] = " ".join(vendor.address)
    if cur != "USD" or rng.random() < 0.6:
        label, number = text.tax_id(rng, cur, country)
        vendor.extra.append(f"{label}: {number}")
        fields["VendorTaxId"] = number
    fields |= {"CustomerName": customer.name, "CustomerAddress": " ".join(customer.address)}
    if "x" in plan.flags:
        label, number = text.tax_id(rng, cur, country)
        customer.extra.append(f"{label}: {number}")
        fields["CustomerTaxId"] = number

    terms, days = rng.choice(_TERMS["USD" if cur == "USD" else "other"])
    issued, due = _dates(rng, plan.dates, days)
    n = rng.randint(100, 9999)
    number = rng.choice(
        [f"INV-2025-{n:04d}", f"{n + 10000}", f"A-{n}", f"2025/{n:04d}", f"INV{n:07d}"]
    )
    meta = [(rng.choice(["Invoice No.", "Invoice #", "Invoice Number"]), number)]
    meta.append((rng.choice(["Date", "Invoice Date"]), date_text(issued, plan.dates)))
    fields |= {"InvoiceId": number, "InvoiceDate": issued.isoformat(), "Currency": cur}
    if rng.random() < 0.85:
        meta.append(("Due Date", date_text(due, plan.dates)))
        fields["DueDate"] = due.isoformat()
    if rng.random() < 0.5:
        po = rng.choice([f"PO-{rng.randint(10000, 99999)}", f"45000{rng.randint(10000, 99999)}"])
        meta.append((rng.choice(["PO Number", "P.O. No.", "Purchase Order"]), po))
        fields["PurchaseOrder"] = po
    notes = []
    if rng.random() < 0.75:
        if plan.layout == "compact":
            meta.append((rng.choice(["Payment Terms", "Terms"]), terms))
        else:
            notes.append(f"Payment Terms: {terms}")
        fields["PaymentTerms"] = terms

    initials = "".join(word[0] for word in vendor.name.split()[:2])
    rows, items, subtotal, tax = _lines(plan, rng, country, initials)
    discount = 0
    excluding = ["Total excl. VAT"] * (cur in ("EUR", "GBP") and "d" not in plan.flags)
    totals = [(rng.choice(["Subtotal", "Sub-total", *excluding]), money(subtotal))]
    if "d" in plan.flags:
        percent = rng.choice([5, 10])
        discount = share(subtotal, percent * 100)
        totals.append((rng.choice(["Discount", f"Discount ({percent}%)"]), money(-discount)))
        fields["TotalDiscount"] = money.value(discount)
    tax_label, rate = text.tax_rate(cur, country)
    if plan.layout == "coded":
        tax_label = _TAX_NAMES.get(cur, "VAT")
    else:
        tax = share(subtotal - discount, rate)
    total = subtotal - discount + tax
    total_label = rng.choice(["Total", "Total Due", "Invoice Total", "Grand Total"])
    totals += [(tax_label, money(tax)), (total_label, money(total))]
    fields |= {"SubTotal": money.value(subtotal), "TotalTax": money.value(tax)}
    fields["InvoiceTotal"] = money.value(total)
    if "p" in plan.flags:
        paid = total * rng.choice([30, 40, 50]) // 10000 * 100
        totals.append(("Amount Paid", money(-paid)))
        totals.append((rng.choice(["Balance Due", "Amount Due"]), money(total - paid)))
        fields["AmountDue"] = money.value(total - paid)
    elif total_label == "Total Due" or rng.random() < 0.4:
        if total_label != "Total Due":
            totals.append((rng.choice(["Amount Due", "Balance Due"]), money(total)))
        fields["AmountDue"] = money.value(total)

    if "i" in plan.flags:
        code = text.iban(rng, country)
        bank = rng.choice(["Hanseatic", "Lowlands", "Albion", "Meridian"])
        bic = f"{bank[:4].upper()}{country}{rng.randint(20, 99)}XXX"
        notes += [f"Bank: {bank} Bank", f"IBAN: {text.grouped(code)}", f"BIC: {bic}"]
        fields["IBAN"] = code
    elif cur == "GBP":
        sort = f"20-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        notes.append(f"Sort code: {sort}   Account: {rng.randint(10**7, 10**8 - 1)}")
    elif cur == "USD":
        notes.append(f"Please make checks payable to {vendor.name}")
    else:
        notes.append(f"All amounts are in {cur}.")
    notes.append("Thank you for your business!")

    tax_name = _TAX_NAMES.get(cur, "VAT")
    named = {"SKU": rng.choice(["SKU", "Code", "Item No."]), "Tax %": f"{tax_name} %"}
    headers = [named.get(h, h) for h in _COLUMNS[plan.layout]]
    columns = [Column(h, "c" if h == "Unit" else "r") for h in headers]
    for i, h in enumerate(headers):
        if h in ("Description", "Item") or (i == 0 and plan.layout == "coded"):
            columns[i] = Column(h, "l", flex=h in ("Description", "Item"))
    sheet = Sheet(
        layout=plan.layout,
        title="TAX INVOICE" if plan.layout == "coded" and cur != "USD" else "INVOICE",
        vendor=vendor,
        customer=customer,
        meta=meta,
        columns=columns,
        rows=rows,
        totals=totals,
        notes=notes,
        headings=rng.choice(
            [("Bill To", "Ship To"), ("Bill to", "Ship to"), ("Invoice To", "Deliver To")]
        ),
        ship_to=Party(customer.name, text.address(rng, cur, country)),
        family={"compact": "DejaVuSerif", "coded": "DejaVuSansCondensed"}.get(
            plan.layout, rng.choice(["DejaVuSans", "DejaVuSerif"])
        ),
        size=rng.randint(28, 32),
        page=LETTER if cur == "USD" else A4,
        accent=(20, 70, 140) if "r" in plan.flags else None,
        table_style={
            "classic": rng.choice(["grid", "rows"]),
            "modern": "band",
            "compact": "plain",
        }.get(plan.layout, "grid"),
    )
    return sheet, fields, items


def _vietnamese(plan: _Plan, rng: random.Random) -> Truth:
    glossed, old = "g" in plan.flags, "o" in plan.flags

    def gloss(vi: str, en: str) -> str:
        return f"{vi} ({en})" if glossed else vi

    money = replace(MONEY["VND"], after="")
    sums = replace(money, after=" đ") if rng.random() < 0.4 else money
    seller, code, where, phone = text.vn_company(rng)
    buyer, buyer_code, buyer_where, _ = text.vn_company(rng, seller)
    issued, _ = _dates(rng, "iso", 0)
    letters = "ABCDEGHKLMN"
    series = f"1C{issued:%y}T{rng.choice(letters)}{rng.choice(letters)}"
    series = f"{series[-2:]}/{issued:%y}E" if old else series
    number = f"{rng.randint(1, 9999):0{7 if old else 8}d}"
    account = f"{rng.randint(10**11, 10**12 - 1)} tại Ngân hàng TMCP {rng.choice(text.VN_BANKS)}"
    payment = rng.choice(["TM/CK", "TM/CK", "CK", "TM"])
    vendor = Party(seller, [where])
    vendor.labeled = [
        (gloss("Đơn vị bán hàng", "Seller"), seller),
        (gloss("Mã số thuế", "Tax code"), code),
        (gloss("Địa chỉ", "Address"), where),
        (gloss("Điện thoại", "Tel"), phone),
        (gloss("Số tài khoản", "Account No."), account),
    ]
    customer = Party(buyer, [buyer_where])
    customer.labeled = [
        (gloss("Họ tên người mua hàng", "Buyer"), rng.choice(text.VN_PEOPLE)),
        (gloss("Tên đơn vị", "Company"), buyer),
        (gloss("Mã số thuế", "Tax code"), buyer_code),
        (gloss("Địa chỉ", "Address"), buyer_where),
        (gloss("Hình thức thanh toán", "Payment method"), payment),
    ]
    customer.labeled += [(gloss("Đơn vị tiền tệ", "Currency"), "VND")] * (rng.random() < 0.5)

    rows: list[list[str]] = []
    items: list[dict[str, object]] = []
    subtotal = 0
    for i, (description, unit, low, high) in enumerate(
        rng.sample(text.VN_CATALOG, rng.randint(2, 6))
    ):
        price = rng.randint(low, high) * 1000
        quantity = rng.randint(10, 100) if high < 100 else rng.randint(1, 12)
        amount = price * quantity
        subtotal += amount
        items.append(
            {
                "Description": description,
                "Unit": unit,
                "Quantity": float(quantity),
                "UnitPrice": float(price),
                "Amount": float(amount),
            }
        )
        rows.append([str(i + 1), description, unit, str(quantity), money(price), money(amount)])
    rate = rng.choice([10, 10, 8, 5])
    tax = subtotal * rate // 100
    total = subtotal + tax
    words = text.vietnamese_words(total)
    rate_line = f"{gloss('Thuế suất GTGT', 'VAT rate')}: {rate}%"
    tax_label = f"{gloss('Tiền thuế GTGT', 'VAT amount')}:"
    taxes = [(f"{rate_line}\t{tax_label}", sums(tax))]
    if rng.random() < 0.5:
        taxes = [(rate_line, ""), (tax_label, sums(tax))]
    meta = [(gloss("Mẫu số", "Form"), "01GTKT0/001")] if old else []
    meta += [(gloss("Ký hiệu", "Serial"), series), (gloss("Số", "No."), number)]
    subtitle = ["(VAT INVOICE)"] if glossed else ["Bản thể hiện của hóa đơn điện tử"]
    subtitle.append(f"Ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}")
    if not old:
        subtitle.append(f"Mã của CQT: 00{rng.getrandbits(128):032X}")
    headers = [("STT", "No."), ("Tên hàng hóa, dịch vụ", "Description"), ("Đơn vị tính", "Unit")]
    headers += [("Số lượng", "Quantity"), ("Đơn giá", "Unit price"), ("Thành tiền", "Amount")]
    columns = [
        Column(f"{vi}\n({en})" if glossed else vi.replace(" tính", "\ntính"), align, i == 1)
        for i, ((vi, en), align) in enumerate(zip(headers, "clcrrr", strict=True))
    ]
    totals = [(f"{gloss('Cộng tiền hàng', 'Sub total')}:", sums(subtotal)), *taxes]
    totals.append((f"{gloss('Tổng tiền thanh toán', 'Total payment')}:", sums(total)))
    signatures = [
        [gloss("Người mua hàng", "Buyer"), "(Ký, ghi rõ họ tên)"],
        [gloss("Người bán hàng", "Seller"), "(Ký, đóng dấu, ghi rõ họ tên)"],
    ]
    stamp = ["Signature Valid", f"Ký bởi: {seller}", f"Ký ngày: {issued:%d/%m/%Y}"]
    sheet = Sheet(
        layout="vat",
        title="HÓA ĐƠN GIÁ TRỊ GIA TĂNG",
        vendor=vendor,
        customer=customer,
        meta=meta,
        columns=columns,
        rows=rows,
        totals=totals,
        notes=["(Cần kiểm tra, đối chiếu khi lập, giao, nhận hóa đơn)"],
        subtitle=subtitle,
        words=f"{gloss('Số tiền viết bằng chữ', 'Amount in words')}: {words}",
        column_numbers=["1", "2", "3", "4", "5", "6 = 4 x 5"] if glossed or old else [],
        signatures=signatures,
        stamp=[] if old else stamp,
        size=rng.randint(27, 30),
        page=A4,
        accent=(170, 20, 20) if "r" in plan.flags else None,
    )
    fields: dict[str, object] = {
        "VendorName": seller,
        "VendorTaxId": code,
        "VendorAddress": where,
        "CustomerName": buyer,
        "CustomerTaxId": buyer_code,
        "CustomerAddress": buyer_where,
        "InvoiceId": number,
        "InvoiceSeries": series,
        "InvoiceDate": issued.isoformat(),
        "PaymentTerms": payment,
        "SubTotal": float(subtotal),
        "TotalTax": float(tax),
        "InvoiceTotal": float(total),
        "AmountInWords": words,
        "Currency": "VND",
    }
    return sheet, fields, items


def invoice_samples(names: Collection[str] | None = None) -> list[InvoiceSample]:
    """26 invoices: 16 English in four layouts and six currencies, 10 Vietnamese VAT forms.

    With ``names``, only those: each invoice has a seed of its own, so one is the same
    page alone as among all, and rendering is most of the cost of the set.
    """
    samples = []
    counts = {"en": 0, "vi": 0}
    for i, plan in enumerate(_PLANS):
        english = plan.layout != "vat"
        language = "en" if english else "vi"
        counts[language] += 1
        name = f"{language}-{plan.layout}-{plan.currency.lower()}-{counts[language]}"
        if names is not None and name not in names:
            continue
        rng = random.Random(7919 * (i + 1))
        sheet, fields, items = (_english if english else _vietnamese)(plan, rng)
        image = render(sheet)
        if "s" in plan.flags:
            image = scanned(image, rng)
        if "l" in plan.flags:
            image = downsampled(image)
        languages = ("eng",) if english else ("vie", "eng")
        samples.append(InvoiceSample(name, image, languages, fields, items))
    return samples


def png_bytes(sample: InvoiceSample) -> bytes:
    """The sample's page as PNG with its resolution recorded (the 150 DPI pages are narrower)."""
    dpi = 150 if sample.image.width < 1400 else 200
    buffer = io.BytesIO()
    sample.image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()
