"""Who issued a document: the business name, address, phone and tax id at its top.

A receipt or invoice opens with its issuer: a name (often ending in a legal form
such as ``SDN BHD``, ``LTD``, ``GMBH``, ``CÔNG TY TNHH``), registration numbers,
the address over a few lines, then phone, fax and tax ids, before the title and the
transaction. The lines up to the first line of the transaction are the header;
each is given a role from what it holds, never from what any one business prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from untxt.document import BBox
from untxt.extract import labels
from untxt.extract.dates import find_dates, find_times
from untxt.extract.legal_forms import read_legal_form
from untxt.extract.model import FieldValue
from untxt.extract.view import DocumentView, Span, ViewLine, grounded

_CODE = re.compile(r"^[\W_]*[a-z]{0,2}\d[\w\-/#]*[\W_]*$")
_REG_ONLY = re.compile(
    r"^[\s(]*(?:no\.?\s*)?[a-z]{0,3}\d{3,}[\s\-]*[a-z]?[\s).:]*$|^[\s(]*[a-z]{1,3}\d{4,}[\s\-]*[a-z][\s).:]*$"
)
_PHONE_ONLY = re.compile(r"^[\s:|+()\d./\-]{7,}$")
_TRAILING_REG = re.compile(
    r"\s*\(\s*(?:co\.?\s*(?:no|reg)\.?\s*:?\s*)?[a-z]{0,3}\d{3,}[\s\-]*[a-z]?\s*\)\s*$"
)
_POSTCODE = re.compile(r"(?<![\w\-+/().])\d{5}(?![\w\-/)])|(?<![\w\-+/().])\d{4}(?=\s+[a-z])")
_CLOCK = re.compile(r"(?<![\d.:])\d{1,2}[.:]\d{2}(?![\d.:])")
_OPEN, _CLOSE = "(", ")"
_ALNUM = re.compile(r"[a-z0-9]")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_LETTERS = re.compile(r"[^\W\d_]")
# How far above a name line a line may sit and still continue the name, in line heights.
_NAME_GAP = 0.9


@dataclass(frozen=True)
class Party:
    """An issuer or customer as printed: name, address, phone, tax id."""

    name: FieldValue | None = None
    address: FieldValue | None = None
    phone: FieldValue | None = None
    tax_id: FieldValue | None = None


def role(line: ViewLine) -> str:
    """What a line of a document's top holds: ``noise``, ``registration``, ``contact``,
    ``hours``, ``stamp`` (a date alone), ``title``, ``body`` (the transaction has begun)
    or ``text``."""
    folded = line.folded.strip()
    alnum = len(_ALNUM.findall(folded))
    if alnum <= 3 or all(_CODE.match(token) for token in folded.split()):
        return "noise"
    if labels.REGISTRATION.search(folded) or _REG_ONLY.match(folded):
        return "registration"
    if labels.CONTACT.search(folded) or _PHONE_ONLY.match(folded) or "@" in folded:
        return "contact"
    times = find_times(folded)
    dates = find_dates(folded)
    if len(times) >= 2 and not dates:
        return "hours"
    if dates or times:
        rest = folded
        spans = [(f.start, f.end) for f in dates] + [(t.start, t.end) for t in times]
        for start, end in sorted(spans, reverse=True):
            rest = rest[:start] + rest[end:]
        # A bare date and time printed under the name is a stamp, not the transaction.
        return "stamp" if not _ALNUM.search(_CLOCK.sub("", rest)) else "body"
    if labels.TITLE.search(folded) and len(folded.split()) <= 6:
        return "title"
    if labels.TRANSACTION.search(folded) or labels.NUMBER_LABEL.search(folded):
        return "body"
    if len(labels.ITEMS_HEADER_WORD.findall(folded)) >= 2:
        return "body"
    if _priced(folded) and not labels.ADDRESS_WORD.search(folded):
        return "body"
    return "text"


@dataclass(frozen=True)
class Header:
    """The top of the first page: its segments with their roles, and where it ends."""

    parts: list[tuple[ViewLine, str]]
    #: The number of the first line of the transaction (``len(view.lines)`` for none).
    end: int


def header(view: DocumentView, *, limit: int = 40) -> Header:
    """The segments before the transaction begins on the first page, with their roles.

    Lines are taken apart into their columns (:attr:`ViewLine.segments`): an invoice
    prints its number beside the vendor's address, and that number does not end the
    vendor's block. The header ends at the first line holding nothing of it.
    """
    parts: list[tuple[ViewLine, str]] = []
    named = False

    def ends(kind: str) -> bool:
        return kind in ("body", "hours") or (kind == "title" and named)

    for line in view.lines[:limit]:
        if line.page != 1 or _transaction_begins(line):
            return Header(parts, line.number)
        roles = [(segment, role(segment)) for segment in line.segments]
        if all(ends(kind) for _, kind in roles) or (len(roles) == 1 and ends(role(line))):
            if parts and not any(_overlap(segment, _span_of(parts)) for segment, _ in roles):
                continue  # a field set apart in another column, level with the header
            return Header(parts, line.number)
        for segment, kind in roles:
            if ends(kind):
                continue  # another column's field, beside the header
            named = named or kind == "text"
            parts.append((segment, kind))
    end = view.lines[limit].number if len(view.lines) > limit else len(view.lines)
    return Header(parts, end)


def _span_of(parts: list[tuple[ViewLine, str]]) -> ViewLine:
    """A segment as wide as all of ``parts`` (for questions of column)."""
    first = parts[0][0]
    box = BBox.union(segment.bbox for segment, _ in parts)
    return ViewLine(first.page, first.number, first.words, box, first.block)


def _transaction_begins(line: ViewLine) -> bool:
    """A line that begins the transaction whatever stands beside it: a table's column
    names, a cashier or customer label, or prices."""
    folded = line.folded
    return bool(
        len(labels.ITEMS_HEADER_WORD.findall(folded)) >= 2
        or labels.TRANSACTION.search(folded)
        or (_priced(folded) and not labels.ADDRESS_WORD.search(folded))
    )


def _priced(folded: str) -> bool:
    """Whether a line prints an amount with decimals (a date's dots are no decimals)."""
    for found in find_dates(folded):
        folded = folded[: found.start] + " " * (found.end - found.start) + folded[found.end :]
    return bool(re.search(r"\d[.,]\d{2}(?![\d.,])", folded))


def _style(line: ViewLine) -> str:
    letters = "".join(_LETTERS.findall(line.text))
    if not letters:
        return "none"
    upper = sum(c.isupper() for c in letters) / len(letters)
    return "upper" if upper > 0.8 else "lower" if upper < 0.05 else "mixed"


def _continues(above: ViewLine, below: ViewLine) -> bool:
    """Whether ``above`` and ``below`` read as one name set over two lines."""
    height = max(above.height, below.height, 1)
    gap = below.bbox.y0 - above.bbox.y1
    similar = 0.7 <= above.height / max(1, below.height) <= 1.45
    return (
        gap <= _NAME_GAP * height
        and similar
        and _style(above) == _style(below)
        and _overlap(above, below)
    )


def _overlap(a: ViewLine, b: ViewLine) -> bool:
    """Whether two segments share some of their width: they stand in one column."""
    return a.bbox.x0 < b.bbox.x1 and b.bbox.x0 < a.bbox.x1


def _open_paren(text: str) -> bool:
    return text.count(_OPEN) > text.count(_CLOSE)


def _name_lines(lines: Sequence[tuple[ViewLine, str]]) -> tuple[list[ViewLine], float]:
    """The lines of the issuer's name and how sure that is."""
    texts = [(i, line) for i, (line, kind) in enumerate(lines) if kind == "text"]
    if not texts:
        return [], 0.0
    suffixed = [
        (i, line)
        for i, line in texts
        if labels.COMPANY_SUFFIX.search(_unregistered(line))
        and not labels.ADDRESS_WORD.search(line.folded.split()[0] if line.folded.split() else "")
    ]
    if suffixed:
        index, last = _legal_form_below(lines, *suffixed[0])
        certainty = 0.95
    else:
        index, last = texts[0]
        certainty = 0.75
    chosen = [last]
    # Lines above it that continue the name (the suffix printed on a line of its own).
    position = index
    while position > 0:
        above, kind = lines[position - 1]
        text = above.folded.strip()
        if kind != "text" or not _continues(above, chosen[0]):
            break
        if re.search(r"\d", text) and (_is_address_start(above) or len(_WORDS.findall(text)) < 2):
            break
        chosen.insert(0, above)
        position -= 1
    # A name left open (a parenthesis, a trailing '&' or '-') goes on below; so does a
    # name without a legal form, onto a line set like it that holds no address.
    position = index
    while position + 1 < len(lines):
        tail = chosen[-1].text.rstrip()
        below, kind = lines[position + 1]
        if kind != "text":
            break
        open_ended = _open_paren(" ".join(line.text for line in chosen)) or tail.endswith(
            ("&", "-")
        )
        more = (
            not suffixed
            and len(chosen) == 1
            and _continues(chosen[-1], below)
            and not re.search(r"\d", below.folded)
            and not _is_address_start(below)
        )
        if not (open_ended or more):
            break
        chosen.append(below)
        position += 1
    return chosen, certainty


def _legal_form_below(
    lines: Sequence[tuple[ViewLine, str]], index: int, line: ViewLine
) -> tuple[int, ViewLine]:
    """Where a name whose line ``index`` ends in a kind of business ends: at its legal
    form on a line below that continues it (``AIK HUAT HARDWARE`` / ``ENTERPRISE`` /
    ``SDN BHD``), else at that line."""
    if labels.LEGAL_FORM.search(_unregistered(line)):
        return index, line
    above = line
    for position in range(index + 1, len(lines)):
        below, kind = lines[position]
        if kind != "text" or not _continues(above, below) or _is_address_start(below):
            break
        if labels.LEGAL_FORM.search(_unregistered(below)):
            return position, below
        above = below
    return index, line


def _is_address_start(line: ViewLine) -> bool:
    folded = line.folded.strip()
    if folded.startswith(_OPEN) and folded.endswith(_CLOSE):
        return False  # a branch or registration in brackets
    return bool(
        labels.ADDRESS_WORD.search(folded)
        or _POSTCODE.search(folded)
        or re.search(r"\d.*,|,.*\d", folded)
        # "Stationsplein 253": a street and a number, no label before a colon.
        or (
            re.search(r"(?<![a-z\d])\d+(?![a-z\d])", folded)
            and _WORDS.search(folded)
            and ":" not in folded
        )
    )


def _address_lines(
    lines: Sequence[tuple[ViewLine, str]], after: int, column: ViewLine | None = None
) -> list[ViewLine]:
    """The address lines that follow the name, which ends at line ``after``; only those
    in the name's ``column`` count, when it is given.

    The address runs until a line of another role (phone, tax id, title). Once it
    has reached its postcode and town, only a one-word line (a state or country)
    may follow.
    """
    chosen: list[ViewLine] = []
    skipped = 0
    closing = False  # the town has been read: only a state or country may follow
    pending = False  # a postcode ended the last line: its town is on this one
    for line, kind in lines[after + 1 :]:
        if column is not None and not _overlap(line, column):
            continue
        if not chosen and (
            kind in ("registration", "noise", "stamp")
            or (kind == "text" and not _is_address_start(line))
        ):
            skipped += 1
            if skipped > 3:
                break
            continue
        if kind == "noise" and not closing and _tight(chosen[-1], line):
            chosen.append(line)  # a postcode such as "NR6 8NY" on a line of its own
            continue
        if kind != "text":
            break
        if closing:
            state = len(line.folded.strip(" .,").split()) == 1 and not re.search(r"\d", line.folded)
            # A branch's area printed under the town ("1558-TMN PUSAT KEPONG") names a
            # street or area as the address's own lines do.
            if state or (labels.ADDRESS_WORD.search(line.folded) and _tight(chosen[-1], line)):
                chosen.append(line)
            break
        chosen.append(line)
        if pending:
            closing, pending = True, False
            continue
        codes = list(_POSTCODE.finditer(line.folded))
        if codes:
            rest = line.folded[codes[-1].end() :].strip(" ,.")
            closing, pending = bool(rest), not rest
    return chosen


def _tight(above: ViewLine, below: ViewLine) -> bool:
    """Whether ``below`` follows ``above`` at the distance of the lines of one block."""
    return below.bbox.y0 - above.bbox.y1 <= max(above.height, below.height)


def _unregistered(line: ViewLine) -> str:
    """A line's folded text without a registration number in brackets at its end."""
    return _TRAILING_REG.sub("", line.folded)


def _clean_name(line: ViewLine, end: int) -> int:
    """Where the name ends on its last line: before a registration number in brackets."""
    match = _TRAILING_REG.search(line.folded[:end])
    return match.start() if match else end


def _first_value(
    lines: Sequence[tuple[ViewLine, str]], label: re.Pattern[str], value: re.Pattern[str]
) -> tuple[Span, float] | None:
    """The first ``value`` after ``label`` on a header line (or a bare phone line)."""
    for line, _ in lines:
        for found in label.finditer(line.folded):
            match = value.search(line.folded, found.end())
            if match and match.start() - found.end() <= 4:
                return line.span(*match.span()), 0.9
    return None


def issuer(view: DocumentView) -> Party:
    """The issuer of a receipt or invoice, from its header."""
    top = header(view)
    lines = top.parts
    name_lines, certainty = _name_lines(lines)
    if not name_lines:
        return Party()
    spans = [line.span(0, len(line.text)) for line in name_lines]
    last = name_lines[-1]
    spans[-1] = last.span(0, _clean_name(last, len(last.text)))
    text = read_legal_form(" ".join(s.text for s in spans if s.end > s.start))
    name = grounded(
        spans,
        kind="string",
        value=text,
        source="rule:header-name",
        certainty=certainty,
        content=text,
    )
    index = next(i for i, (line, _) in enumerate(lines) if line is name_lines[-1])
    words = [w for n in name_lines for w in n.words]
    column = ViewLine(
        last.page, last.number, words, BBox.union(n.bbox for n in name_lines), last.block
    )
    address_lines = _address_lines(lines, index, column)
    source, certainty = "rule:header-address", 0.85
    if not address_lines:
        # Some receipts print the address at the foot: the first street line after the
        # header, unless it belongs to a customer ("Bill to").
        rest = [
            (segment, role(segment))
            for line in view.lines[top.end :]
            if line.page == 1
            for segment in line.segments
        ]
        for i, (line, kind) in enumerate(rest):
            customer = i > 0 and labels.TRANSACTION.search(rest[i - 1][0].folded)
            if kind == "text" and labels.ADDRESS_WORD.search(line.folded) and not customer:
                address_lines = _address_lines(rest, i - 1)
                source, certainty = "rule:address-lines", 0.6
                break
    address = None
    if address_lines:
        parts = [line.span(0, len(line.text)) for line in address_lines]
        text = " ".join(s.text for s in parts)
        address = grounded(parts, kind="string", value=text, source=source, certainty=certainty)
    phone = _first_value(lines, labels.PHONE_LABEL, labels.PHONE)
    if phone is None:
        bare = next((line for line, kind in lines if _PHONE_ONLY.match(line.folded)), None)
        if bare is not None:
            stripped = bare.text.strip(" :|")
            start = bare.text.find(stripped)
            phone = (bare.span(start, start + len(stripped)), 0.7)
    tax = _first_value(lines, labels.TAX_ID_LABEL, labels.TAX_ID)
    return Party(
        name=name,
        address=address,
        phone=_as_field(phone, "phone", "rule:header-phone"),
        tax_id=_as_field(tax, "string", "rule:header-tax-id"),
    )


def _as_field(found: tuple[Span, float] | None, kind: str, source: str) -> FieldValue | None:
    if found is None:
        return None
    span, certainty = found
    value = re.sub(r"\s+", " ", span.text).strip()
    return grounded([span], kind=kind, value=value, source=source, certainty=certainty)  # type: ignore[arg-type]
