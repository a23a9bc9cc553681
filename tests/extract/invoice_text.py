"""How the invoices of tests.extract.invoices word things: money, dates, numbers, names.

Every company, street number, tax number and account here is made up; towns, regions and
street names are real places, so addresses read as real ones do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Money:
    """How one currency's amounts are printed; amounts are kept in minor units (cents)."""

    code: str
    before: str
    after: str
    thousands: str
    decimal: str
    places: int = 2

    def __call__(self, minor: int, symbol: bool = True) -> str:
        whole, fraction = divmod(abs(minor), 10**self.places)
        text = f"{whole:,}".replace(",", self.thousands)
        text += f"{self.decimal}{fraction:0{self.places}d}" if self.places else ""
        text = f"{self.before}{text}{self.after}" if symbol else text
        return f"-{text}" if minor < 0 else text

    def value(self, minor: int) -> float:
        return minor / int(10**self.places)


MONEY = {
    "USD": Money("USD", "$", "", ",", "."),
    "EUR": Money("EUR", "", " €", ".", ","),
    "GBP": Money("GBP", "£", "", ",", "."),
    "SGD": Money("SGD", "S$", "", ",", "."),
    "MYR": Money("MYR", "RM ", "", ",", "."),
    "VND": Money("VND", "", " VND", ".", ",", 0),
}
MONTHS = ["January", "February", "March", "April", "May", "June", "July"]
MONTHS += ["August", "September", "October", "November", "December"]


def date_text(day: date, style: str) -> str:
    """``day`` as invoices print it: us (March 15, 2025), us_num, iso, dmy, long, slash, dot."""
    month = MONTHS[day.month - 1]
    formats = {
        "us": f"{month} {day.day}, {day.year}",
        "us_num": day.strftime("%m/%d/%Y"),
        "iso": day.isoformat(),
        "dmy": f"{day.day} {month[:3]} {day.year}",
        "long": f"{day.day} {month} {day.year}",
        "slash": day.strftime("%d/%m/%Y"),
        "dot": day.strftime("%d.%m.%Y"),
    }
    return formats[style]


_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _hundreds(n: int, inner: bool) -> list[str]:
    """Words for one group of three digits; ``inner`` when a higher group precedes it."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = [_DIGITS[hundreds], "trăm"] if hundreds or inner else []
    if tens == 0 and units and words:
        words.append("linh")
    elif tens == 1:
        words.append("mười")
    elif tens > 1:
        words += [_DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 5 and tens:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def vietnamese_words(amount: int) -> str:
    """``amount`` đồng in words, as the "Số tiền viết bằng chữ" line of a VAT invoice has it."""
    groups = []
    while amount:
        amount, group = divmod(amount, 1000)
        groups.append(group)
    names = ["", "nghìn", "triệu", "tỷ", "nghìn tỷ"]
    words: list[str] = []
    for i in reversed(range(len(groups))):
        if groups[i]:
            words += _hundreds(groups[i], i < len(groups) - 1) + [names[i]] * bool(names[i])
    text = " ".join([*words, "đồng"])
    return text[0].upper() + text[1:]


def iban(rng: random.Random, country: str) -> str:
    """A random IBAN whose check digits are right (ISO 13616 mod 97)."""
    digits = "".join(rng.choice("0123456789") for _ in range(18))
    bank = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(4))
    bban = {"DE": digits, "NL": bank + digits[:10], "GB": bank + digits[:14]}[country]
    number = int("".join(str(int(ch, 36)) for ch in f"{bban}{country}00"))
    return f"{country}{98 - number % 97:02d}{bban}"


def grouped(code: str) -> str:
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def options(text: str) -> list[str]:
    return text.split("|")


_PREFIXES = options(
    "Northwind|Bluebird|Harborview|Ironleaf|Redwood|Larkspur|Copperfield|Brightwater|Oakhurst|"
    "Pinecrest|Foxglove|Kestrel|Willowbrook|Stonegate|Juniper|Bramblewood|Lanternfield|Silverbirch"
)
_KINDS = options(
    "Supply|Consulting|Print Works|Office Solutions|Logistics|Design Studio|Electrical|"
    "Software|Trading|Facilities|Media|Outfitters"
)
_SUFFIXES = {
    "USD": ["Inc.", "LLC", "Co."],
    "GBP": ["Ltd", "Ltd.", "LLP"],
    "EUR": ["GmbH", "B.V."],
    "SGD": ["Pte. Ltd."],
    "MYR": ["Sdn. Bhd."],
    "VND": ["Co., Ltd.", "JSC"],
}
_US_STREETS = options(
    "Harbor Street|Maple Avenue|Elm Road|Commerce Drive|Lakeview Boulevard|Mill Lane|"
    "Oak Street|Industrial Parkway|Market Street"
)
_US_CITIES = options(
    "Springfield, IL 62701|Riverton, WY 82501|Fairview, OR 97024|Madison, WI 53703|"
    "Greenville, SC 29601|Franklin, TN 37064|Salem, MA 01970|Dayton, OH 45402"
)
_UK_STREETS = options("High Street|Station Road|Church Lane|Victoria Road|Queen Street|Park Road")
_UK_TOWNS = options("Bristol BS|Leeds LS|Norwich NR|Reading RG|York YO")
_DE_STREETS = options("Lindenweg|Hafenallee|Am Lindenhof|Bahnhofallee|Ringstrasse|Feldweg")
_DE_CITIES = options("10115 Berlin|28195 Bremen|30159 Hannover|55116 Mainz|04109 Leipzig")
_NL_STREETS = options("Kanaalweg|Prinsengracht|Stationsplein|Havenstraat|Dorpsstraat")
_NL_CITIES = options("Utrecht|Rotterdam|Eindhoven|Haarlem")
_SG_STREETS = options("Anson Road|Ubi Avenue 3|Kallang Way|Tampines Street 92|Woodlands Loop")
_MY_STREETS = options("Jalan Cempaka|Jalan Teknologi|Jalan Perusahaan|Jalan Kenari|Lorong Damai")
_MY_TOWNS = options("Taman Seri Cahaya|Taman Perindustrian Maju Jaya|Taman Delima Permai")
_MY_CITIES = options("47301 Petaling Jaya, Selangor|81200 Johor Bahru, Johor|31400 Ipoh, Perak")
_VN_ROADS = options(
    "Nguyen Hue Street, Ben Nghe Ward;District 1, Ho Chi Minh City|"
    "Lang Road, Lang Thuong Ward;Dong Da District, Hanoi|"
    "Tran Phu Street, Hai Chau 1 Ward;Hai Chau District, Da Nang"
)
CATALOG = [  # description, unit, lowest and highest price, priced by the hour
    ("Consulting services", "hr", 90, 220, True),
    ("Installation labour", "hr", 45, 95, True),
    ("Website maintenance (monthly)", "month", 150, 600, False),
    ("Cloud hosting, standard plan", "month", 40, 250, False),
    ("Software license, annual", "seat", 120, 480, False),
    ("Printer paper A4, 80 gsm", "box", 18, 45, False),
    ("Toner cartridge, black", "pc", 60, 140, False),
    ("Ergonomic office chair", "pc", 180, 420, False),
    ("USB-C docking station", "pc", 120, 260, False),
    ("Network cable Cat6, 5 m", "pc", 6, 15, False),
    ("LED panel light 60x60", "pc", 35, 90, False),
    ("Whiteboard markers, pack of 12", "pack", 9, 24, False),
    ("Logo design package", "job", 450, 1800, False),
    ("Delivery and handling", "trip", 25, 120, False),
    ("Coffee beans, 1 kg bag", "bag", 14, 38, False),
    ("Safety gloves, size L", "pair", 4, 12, False),
]
_PHONES = {
    "USD": "(3{0}{1}) 555-01{2}{3}",  # 555-01xx numbers are reserved for fiction
    "GBP": "0117 496 0{0}{1}{2}",  # so is 0117 496 0xxx
    "DE": "+49 30 {0}{1}{2}{3}{4}{5}",
    "NL": "+31 20 {0}{1}{2} {3}{4}{5}{6}",
    "SGD": "+65 6{0}{1}{2} {3}{4}{5}{6}",
    "MYR": "+60 3-{0}{1}{2}{3} {4}{5}{6}{7}",
    "VND": "+84 28 {0}{1}{2}{3} {4}{5}{6}{7}",
}


def company(rng: random.Random, currency: str, avoid: str = "") -> str:
    """An English company name, its legal form the currency's country's, unlike ``avoid``."""
    while True:
        name = f"{rng.choice(_PREFIXES)} {rng.choice(_KINDS)} {rng.choice(_SUFFIXES[currency])}"
        if name.split()[0] != avoid.split(" ")[0]:
            return name


def address(rng: random.Random, currency: str, country: str) -> list[str]:
    """Address lines as that country writes them."""
    n = rng.randint(2, 480)
    if currency == "USD":
        suite = [f"Suite {rng.randint(1, 9)}{rng.randint(0, 4)}0"] * (rng.random() < 0.3)
        return [f"{n} {rng.choice(_US_STREETS)}", *suite, rng.choice(_US_CITIES)]
    if currency == "GBP":
        town, area = rng.choice(_UK_TOWNS).split()
        code = f"{area}{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFHJLNPRTW')}"
        return [f"{n} {rng.choice(_UK_STREETS)}", town, code + rng.choice("ABDEGHJLQTUXY")]
    if country == "DE":
        return [f"{rng.choice(_DE_STREETS)} {n}", rng.choice(_DE_CITIES), "Germany"]
    if country == "NL":
        code = (
            f"{rng.randint(1011, 9999)} {rng.choice('BCDGHKLMNPRST')}{rng.choice('AEJKLMPRSTVX')}"
        )
        return [f"{rng.choice(_NL_STREETS)} {n}", f"{code} {rng.choice(_NL_CITIES)}", "Netherlands"]
    if currency == "SGD":
        unit = f"#{rng.randint(2, 19):02d}-{rng.randint(1, 40):02d}"
        postal = f"Singapore {rng.randint(10, 82)}{rng.randint(1000, 9999)}"
        return [f"{n} {rng.choice(_SG_STREETS)} {unit}", postal]
    if currency == "MYR":
        street = f"No. {n}, {rng.choice(_MY_STREETS)} {rng.randint(1, 9)}"
        return [street, rng.choice(_MY_TOWNS), rng.choice(_MY_CITIES)]
    street, district = rng.choice(_VN_ROADS).split(";")
    return [f"{n} {street}", district, "Vietnam"]


def phone(rng: random.Random, currency: str, country: str) -> str:
    digits = [rng.randint(0, 9) for _ in range(8)]
    return _PHONES[country if currency == "EUR" else currency].format(*digits)


def tax_id(rng: random.Random, currency: str, country: str) -> tuple[str, str]:
    """The label and the number of a business's tax registration."""
    digits = "".join(rng.choice("0123456789") for _ in range(12))
    return {
        "USD": ("Tax ID", f"{digits[:2]}-{digits[2:9]}"),
        "GBP": ("VAT No.", f"GB{digits[:9]}"),
        "EUR": ("VAT No.", f"DE{digits[:9]}" if country == "DE" else f"NL{digits[:9]}B01"),
        "SGD": ("GST Reg. No.", f"M{digits[0]}-{digits[1:8]}-{digits[8]}"),
        "MYR": ("SST No.", f"W10-{digits[:4]}-{digits[4:12]}"),
        "VND": ("Tax Code", f"0{digits[:9]}"),
    }[currency]


def tax_rate(currency: str, country: str) -> tuple[str, int]:
    """The tax line's label and its rate in hundredths of a percent."""
    return {
        "USD": ("Tax (8%)", 800),
        "GBP": ("VAT 20%", 2000),
        "EUR": ("VAT 19%", 1900) if country == "DE" else ("VAT 21%", 2100),
        "SGD": ("GST 9%", 900),
        "MYR": ("SST 8%", 800),
        "VND": ("VAT 10%", 1000),
    }[currency]


def share(amount: int, rate: int) -> int:
    """``rate`` hundredths of a percent of ``amount``, rounded half up."""
    return (amount * rate + 5000) // 10000


_VN_KINDS = options("CÔNG TY TNHH|CÔNG TY CỔ PHẦN|CÔNG TY TNHH MTV|CÔNG TY CP")
_VN_TRADES = options("THƯƠNG MẠI|DỊCH VỤ|XÂY DỰNG|CÔNG NGHỆ|THƯƠNG MẠI VÀ DỊCH VỤ|SẢN XUẤT|VẬN TẢI")
_VN_NAMES = options(
    "AN PHÁT|MINH KHANG|HẢI ĐĂNG|PHÚ THỊNH|SAO VIỆT|THÀNH ĐẠT|HOÀNG LONG|NAM TIẾN|BÌNH MINH|"
    "TÂN PHÚC|ĐẠI LỢI|GIA BẢO"
)
_VN_STREETS = [  # street, ward, district, city, telephone area code
    ("Đường Láng", "Phường Láng Thượng", "Quận Đống Đa", "Hà Nội", "024"),
    ("Phố Huế", "Phường Ngô Thì Nhậm", "Quận Hai Bà Trưng", "Hà Nội", "024"),
    ("Đường Nguyễn Trãi", "Phường Thượng Đình", "Quận Thanh Xuân", "Hà Nội", "024"),
    ("Phố Trần Duy Hưng", "Phường Trung Hòa", "Quận Cầu Giấy", "Hà Nội", "024"),
    ("Đường Lê Lợi", "Phường Bến Thành", "Quận 1", "Thành phố Hồ Chí Minh", "028"),
    ("Đường Cộng Hòa", "Phường 13", "Quận Tân Bình", "Thành phố Hồ Chí Minh", "028"),
    ("Đường Nguyễn Văn Linh", "Phường Nam Dương", "Quận Hải Châu", "Đà Nẵng", "0236"),
]
VN_PEOPLE = options(
    "Nguyễn Văn An|Trần Thị Bích Ngọc|Lê Hoàng Nam|Phạm Minh Tuấn|Võ Thị Lan|Đặng Quốc Huy|"
    "Bùi Thu Hằng"
)
VN_BANKS = options("Sông Hồng|Hòa Bình Xanh|Phương Nam Á")
VN_CATALOG = [  # description, unit, lowest and highest price in thousands of đồng
    ("Giấy in A4 80gsm", "Ram", 65, 95),
    ("Mực in laser đen", "Hộp", 450, 1200),
    ("Dịch vụ tư vấn thuế", "Gói", 3000, 8000),
    ("Bàn làm việc gỗ công nghiệp", "Chiếc", 1500, 3500),
    ("Ghế xoay văn phòng", "Chiếc", 850, 2200),
    ("Cáp mạng Cat6", "Mét", 8, 15),
    ("Dịch vụ vận chuyển", "Chuyến", 300, 1500),
    ("Phần mềm kế toán (bản quyền 1 năm)", "Bộ", 4000, 12000),
    ("Nước uống đóng bình 20 lít", "Bình", 45, 70),
    ("Thiết bị phát wifi", "Cái", 650, 2400),
    ("Bảo trì máy điều hòa", "Lần", 250, 600),
    ("Cà phê rang xay 500g", "Gói", 120, 260),
    ("Đèn LED âm trần 12W", "Bộ", 90, 240),
    ("Màn hình máy tính 24 inch", "Cái", 2800, 4500),
]


def vn_company(rng: random.Random, avoid: str = "") -> tuple[str, str, str, str]:
    """A Vietnamese company's name, tax code (10 or 13 digits), address and phone number."""
    while True:
        name = f"{rng.choice(_VN_KINDS)} {rng.choice(_VN_TRADES)} {rng.choice(_VN_NAMES)}"
        if name.split(" ")[-2:] != avoid.split(" ")[-2:]:
            break
    code = f"0{rng.randint(100000000, 999999999)}"
    code += f"-{rng.randint(1, 12):03d}" if rng.random() < 0.3 else ""
    street, ward, district, city, area = rng.choice(_VN_STREETS)
    floor = f"Tầng {rng.randint(2, 15)}, " if rng.random() < 0.3 else ""
    where = f"{floor}Số {rng.randint(2, 480)} {street}, {ward}, {district}, {city}"
    return name, code, where, f"{area} {rng.randint(3000, 3999)} {rng.randint(1000, 9999)}"
